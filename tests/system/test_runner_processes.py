"""Several `manage.py chatd` processes on one PostgreSQL: exclusive claims and crash takeover."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from chatcore.chats import create_chat
from chatcore.fakeprovider import split_tokens
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider, text_parts
from tests.conftest import ROOT, free_port, wait_for_port
from tests.fakeserver import FakeProviderServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

LEASE = 3.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as server:
        yield server


def _runner_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="chatui.settings",
        DJANGO_SECRET_KEY="runner-test-key",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CHAT_LEASE_SECONDS=str(LEASE),
        CHAT_POLL_INTERVAL="0.05",
        CHAT_RUNNER="external",
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_runner(tmp_path, name: str, *extra: str) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    with (tmp_path / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "manage.py", "chatd", "--allow-memory-layer", *extra],
            cwd=ROOT,
            env=_runner_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(predicate, *, within: float, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _provider(fake: FakeProviderServer) -> Provider:
    return Provider.objects.create(
        name="fake", kind="fake", base_url=fake.openai_base_url, models=["echo"]
    )


def _queue(chat: Chat, text: str) -> None:
    ChatMessage.objects.create(chat=chat, role=MessageRole.USER, content=text_parts(text))
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.PENDING)


def test_two_runners_racing_for_50_turns_run_each_exactly_once(fake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fake.reset()
    provider = _provider(fake)
    owner = User.objects.create_user("racer")
    chats = [create_chat(owner=owner, provider=provider, model="echo") for _ in range(50)]
    for index, chat in enumerate(chats):
        _queue(chat, f"turn {index}")
    runners = [_start_runner(tmp_path, "a"), _start_runner(tmp_path, "b")]
    try:
        done = _wait(
            lambda: (
                Chat.objects.filter(status=ChatStatus.IDLE, pk__in=[c.pk for c in chats]).count()
                == 50
            ),
            within=90,
        )
    finally:
        for proc in runners:
            _stop(proc)
    assert done, "not every turn finished"
    for index, chat in enumerate(chats):
        answers = list(ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT))
        assert [a.text for a in answers] == [f"turn {index}"]
    completions = [r for r in fake.requests() if r["path"].endswith("/chat/completions")]
    assert len(completions) == 50, "no turn was sent to the provider twice"
    logs = [(tmp_path / f"{n}.log").read_text() for n in ("a", "b")]
    assert all("started" in log for log in logs)


def test_a_killed_runner_s_turn_is_completed_by_another_after_the_lease(fake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fake.reset()
    provider = _provider(fake)
    chat = create_chat(owner=User.objects.create_user("victim"), provider=provider, model="echo")
    # demo-echo streams at 30 tokens/s: 150 words take ~5 s, long enough to kill mid-stream.
    question = " ".join(f"word{i}" for i in range(150))
    _queue(chat, question)
    first = _start_runner(tmp_path, "first")
    second = None
    try:
        assert _wait(
            lambda: Chat.objects.get(pk=chat.pk).live_state.get("phase") == "streaming", within=20
        )
        dead_owner = Chat.objects.get(pk=chat.pk).lease_owner
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=5)
        killed_at = time.monotonic()
        second = _start_runner(tmp_path, "second")
        finished = _wait(
            lambda: Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE, within=LEASE + 5 + 6
        )
        elapsed = time.monotonic() - killed_at
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
    assert finished, (tmp_path / "second.log").read_text()
    refreshed = Chat.objects.get(pk=chat.pk)
    assert refreshed.lease_owner == "" and refreshed.last_error is None
    answers = [m.text for m in ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT)]
    assert answers == [question], "the full text, exactly once"
    assert split_tokens(answers[0])
    # Streaming 150 tokens takes ~5 s; the takeover waits for the lease (3 s) first.
    assert elapsed < LEASE + 5 + 6
    assert dead_owner


def test_chatd_exports_its_retry_and_error_metrics(fake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fake.reset()
    provider = Provider.objects.create(
        name="fake", kind="fake", base_url=fake.openai_base_url, models=["demo-auth"]
    )
    owner = User.objects.create_user("metrics")
    chat = create_chat(owner=owner, provider=provider, model="demo-auth")
    _queue(chat, "hello")
    port = free_port()
    runner = _start_runner(tmp_path, "metrics", "--metrics-port", str(port))
    try:
        assert _wait(lambda: Chat.objects.get(pk=chat.pk).status == ChatStatus.FAILED, within=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        _stop(runner)
    line = 'chatd_stream_errors_total{kind="auth",model="demo-auth",provider="fake"} 1.0'
    assert line in text, text[-2000:]


def _server(tmp_path, argv: list[str], port: int) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = _runner_env()
    env.update(CHAT_RUNNER="inprocess", CHAT_LEASE_SECONDS="60")  # only a release frees it
    with (tmp_path / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", *argv, "--port", str(port), "chatui.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, proc=proc)
    return proc


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["chatui.server", "-b", "127.0.0.1"], id="daphne"),
        pytest.param(["uvicorn", "--host", "127.0.0.1", "--lifespan", "on"], id="uvicorn"),
    ],
)
def test_a_stopping_server_hands_its_in_process_turns_back(fake, tmp_path, argv) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.create_user("stopper")
    chat = create_chat(owner=user, provider=_provider(fake), model="echo")
    _queue(chat, " ".join(f"word{i}" for i in range(600)))  # ~20 s of streaming
    port = free_port()
    server = _server(tmp_path, argv, port)
    try:
        if (
            argv[0] == "chatui.server"
        ):  # Daphne: no lifespan: the runner starts with the first request
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).close()
        assert _wait(
            lambda: Chat.objects.get(pk=chat.pk).status == ChatStatus.RUNNING, within=20
        ), (tmp_path / "server.log").read_text()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    finally:
        _stop(server)

    # The 60 s lease was released, not left to expire: another runner can resume now.
    handed_back = Chat.objects.get(pk=chat.pk)
    log = (tmp_path / "server.log").read_text()
    assert handed_back.lease_owner == "", log
    assert handed_back.status == ChatStatus.PENDING, log
    assert not ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT).exists()
