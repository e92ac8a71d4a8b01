"""Scale-out: 2 web processes + 2 runners + the standalone fake provider on PostgreSQL + Redis.

A websocket client on web process A sees the whole turn that a runner executed
after the message was sent through web process B; the turn ran exactly once.
Then the private Redis is restarted mid-stream: clients reconnect, reconcile
from the snapshot, and the turn's final state in the database is correct.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from chatcore.chats import create_chat
from chatcore.models import Chat, ChatMessage, ChatRetryEvent, ChatStatus, MessageRole, Provider
from tests.fakeserver import FakeProviderProcess
from tests.streaming import StreamedAnswer
from tests.system.topology import (
    Processes,
    RedisServer,
    WebClient,
    is_delta,
    login_session,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def fake() -> Iterator[FakeProviderProcess]:
    with FakeProviderProcess() as process:
        yield process


@pytest.fixture
def redis(tmp_path) -> Iterator[RedisServer]:  # type: ignore[no-untyped-def]
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def procs(tmp_path, redis) -> Iterator[Processes]:  # type: ignore[no-untyped-def]
    processes = Processes(tmp_path, redis.url)
    try:
        yield processes
    finally:
        processes.stop_all()


def _chat(fake: FakeProviderProcess, username: str) -> tuple[Chat, str]:
    provider = Provider.objects.create(
        name="fake", kind="fake", base_url=fake.openai_base_url, models=["echo"]
    )
    user = User.objects.create_user(username)
    chat = create_chat(owner=user, provider=provider, model="echo")
    return chat, login_session(user)


def _socket(host: str, chat_id: int, session: str) -> ClientConnection:
    return connect(
        f"ws://{host}/ws/chats/{chat_id}/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": f"http://{host}"},
        open_timeout=20,
    )


# The last question's edit form (hidden until "Edit") holds its text as well.
_EDIT_FORM = re.compile(r'<form class="message-edit".*?</form>', re.S)


def _shown(frame: str, answer: str) -> int:
    """How often a frame shows ``answer`` (the hidden edit form does not count)."""
    return _EDIT_FORM.sub("", frame).count(html.escape(answer))


def _read_until_answer(socket: ClientConnection, answer: str, *, within: float) -> list[str]:
    """Frames until the persisted answer is rendered (the `done` transcript).

    demo-echo answers with the question, so the rendered transcript holds the
    text twice once the answer is persisted: the user's message and the reply.
    """
    frames: list[str] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        frame = str(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        frames.append(frame)
        if not is_delta(frame) and _shown(frame, answer) == 2:
            return frames
    raise AssertionError("the answer never arrived")


def test_a_turn_sent_through_b_streams_to_a_client_on_a_and_runs_once(fake, procs) -> None:  # type: ignore[no-untyped-def]
    chat, session = _chat(fake, "topology")
    web_a, web_b = procs.web("web-a"), procs.web("web-b")
    procs.runner("runner-1")
    procs.runner("runner-2")
    answer = " ".join(f"word{i}" for i in range(60))  # demo-echo streams it back, 30 tokens/s

    with _socket(web_a, chat.pk, session) as socket:
        socket.recv(timeout=20)  # the snapshot
        status, body = WebClient(web_b, session).post_json(
            f"/api/chats/{chat.pk}/messages/", {"content": answer}
        )
        assert status == 202, body
        frames = _read_until_answer(socket, answer, within=40)

    page = StreamedAnswer()
    for frame in frames:
        if is_delta(frame):
            page.apply(frame)
    assert page.text == answer, "every character once, in order, on the other web process"
    assert wait_until(lambda: Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE, within=10)
    answers = [m.text for m in ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT)]
    assert answers == [answer]
    assert ChatRetryEvent.objects.filter(chat=chat).count() == 0
    completions = [r for r in fake.requests() if r["path"].endswith("/chat/completions")]
    assert len(completions) == 1, "the turn ran exactly once"


def test_redis_restart_mid_stream_reconnects_and_reconciles(fake, redis, procs) -> None:  # type: ignore[no-untyped-def]
    chat, session = _chat(fake, "redis-restart")
    web = procs.web("web")
    procs.runner("runner")
    answer = " ".join(f"word{i}" for i in range(150))  # ~5 s of streaming

    frames: list[str] = []
    with _socket(web, chat.pk, session) as socket:
        socket.recv(timeout=20)
        status, _ = WebClient(web, session).post_json(
            f"/api/chats/{chat.pk}/messages/", {"content": answer}
        )
        assert status == 202
        try:
            while not is_delta(str(socket.recv(timeout=20))):
                pass  # wait for streaming to start
        except ConnectionClosed:
            raise AssertionError(procs.log("web")[-3000:]) from None
        redis.kill()
        # A page that (re)connects while Redis is down is turned away; htmx
        # tries again with its backoff.
        with (
            pytest.raises((ConnectionClosed, InvalidHandshake)),
            _socket(web, chat.pk, session) as refused,
        ):
            refused.recv(timeout=20)
        redis.start()  # same port, empty: every subscription is gone
        # The open page stays open: both processes resubscribe, the events
        # published meanwhile are lost, and the page's sequence gap (or its
        # watchdog) brings a snapshot that fills in the missing text.
        try:
            frames = _read_until_answer(socket, answer, within=40)
        except (ConnectionClosed, TimeoutError, AssertionError) as failure:
            state = Chat.objects.filter(pk=chat.pk).values("status", "live_state").first()
            raise AssertionError(
                f"{failure!r}\n{state}\n{procs.log('web')[-2000:]}\n{procs.log('runner')[-2000:]}"
            ) from None

    assert wait_until(lambda: Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE, within=30)
    refreshed = Chat.objects.get(pk=chat.pk)
    assert refreshed.last_error is None
    answers = [m.text for m in ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT)]
    assert answers == [answer], "the final state in the database is correct"
    # The reconciled page shows the answer exactly once (beside the question).
    assert _shown(frames[-1], answer) == 2
    # Events were lost while Redis was away: the page took a snapshot before the end.
    transcripts = [f for f in frames if not is_delta(f) and "data-transcript" in f]
    assert len(transcripts) >= 2, "a resync from a snapshot, then the final transcript"
    # A page that connects now gets the answer from its first snapshot.
    with _socket(web, chat.pk, session) as again:
        assert _shown(str(again.recv(timeout=20)), answer) == 2


def test_runner_killed_mid_stream_client_sees_a_reset_then_the_full_text_once(fake, procs) -> None:  # type: ignore[no-untyped-def]
    import signal

    chat, session = _chat(fake, "runner-kill")
    web = procs.web("web")
    first = procs.runner("runner-1")
    answer = " ".join(f"word{i}" for i in range(150))  # ~5 s of streaming

    with _socket(web, chat.pk, session) as socket:
        socket.recv(timeout=20)
        status, _ = WebClient(web, session).post_json(
            f"/api/chats/{chat.pk}/messages/", {"content": answer}
        )
        assert status == 202
        while not is_delta(str(socket.recv(timeout=30))):
            pass  # the first runner is streaming
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        procs.runner("runner-2")  # takes over once the 3 s lease expires
        frames = _read_until_answer(socket, answer, within=40)

    # The takeover resets the provisional text (a snapshot, then a new attempt);
    # what streams after the last reset is the whole answer, once.
    resets = [i for i, f in enumerate(frames) if not is_delta(f) and "data-transcript" in f]
    after = frames[resets[-2] :] if len(resets) > 1 else frames
    page = StreamedAnswer()
    for frame in after[:-1]:
        page.apply(frame)
    streamed = page.text
    assert answer.endswith(streamed) and streamed, "no text doubled after the reset"
    assert _shown(frames[-1], answer) == 2, "the answer shown once (beside the question)"
    assert wait_until(lambda: Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE, within=10)
    answers = [m.text for m in ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT)]
    assert answers == [answer]
