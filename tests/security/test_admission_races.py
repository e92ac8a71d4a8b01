"""Our own limits under real parallel sends on PostgreSQL: exactly the limit is admitted.

Before admission locked the user's row, 20 concurrent sends on 20 chats of one
user with ``CHAT_TURNS_PER_DAY=5`` were accepted 19 times. Here each send runs
on its own database connection (a thread each, released together by a
barrier), and then through several web processes and sockets at once: two
Daphne processes on the PostgreSQL test database, and two on one SQLite file
(production's SQLite settings: immediate transactions that wait for the lock).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from websockets.sync.client import ClientConnection, connect

from chatcore.chats import Limits, SendOutcome, create_chat, turns_used_today, validate_message
from chatcore.chats.commands import send
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider, UsageCounter
from tests.conftest import LiveServer
from tests.system.topology import Processes, RedisServer, login_session

pytestmark = [pytest.mark.django_db(transaction=True)]
postgres = pytest.mark.postgres

SENDS = 20


def _user_with_chats(n: int) -> tuple[User, list[int]]:
    provider = Provider.objects.create(
        name="fake", kind="fake", base_url="http://127.0.0.1:9/openai/v1", models=["demo-echo"]
    )
    user = User.objects.create_user("hurried")
    # A user who sent before has a counter row: no first INSERT serialises the race.
    UsageCounter.objects.create(user=user)
    chats = [create_chat(owner=user, provider=provider, model="demo-echo") for _ in range(n)]
    return user, [chat.pk for chat in chats]


def _in_parallel(chat_ids: list[int], limits: Limits) -> Counter[SendOutcome]:
    """One send per chat, each on its own thread and database connection, all at once."""
    start = threading.Barrier(len(chat_ids))

    def one(chat_id: int) -> SendOutcome:
        try:
            chat = Chat.objects.get(pk=chat_id)
            message = validate_message(f"turn for chat {chat_id}", f"req-{chat_id}")
            start.wait(timeout=30)
            return send(chat, message, limits=limits).outcome
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(chat_ids)) as pool:
        return Counter(pool.map(one, chat_ids))


def _sent_messages(user: User) -> int:
    return ChatMessage.objects.filter(chat__owner=user, role=MessageRole.USER).count()


@postgres
def test_twenty_parallel_sends_accept_exactly_the_daily_limit() -> None:
    user, chat_ids = _user_with_chats(SENDS)
    outcomes = _in_parallel(chat_ids, Limits(turns_per_day=5))
    assert outcomes == {SendOutcome.ACCEPTED: 5, SendOutcome.USAGE_LIMIT: SENDS - 5}
    assert _sent_messages(user) == 5
    assert turns_used_today(user.pk) == 5
    assert Chat.objects.filter(owner=user, status=ChatStatus.PENDING).count() == 5


@postgres
def test_twenty_parallel_sends_keep_the_turns_in_flight_under_the_cap() -> None:
    user, chat_ids = _user_with_chats(SENDS)
    outcomes = _in_parallel(chat_ids, Limits(active_turns=3))
    assert outcomes == {SendOutcome.ACCEPTED: 3, SendOutcome.ACTIVE_LIMIT: SENDS - 3}
    assert Chat.objects.filter(owner=user, status=ChatStatus.PENDING).count() == 3
    assert _sent_messages(user) == 3


@postgres
def test_twenty_parallel_sends_respect_the_minute() -> None:
    user, chat_ids = _user_with_chats(SENDS)
    outcomes = _in_parallel(chat_ids, Limits(sends_per_minute=4))
    assert outcomes == {SendOutcome.ACCEPTED: 4, SendOutcome.RATE_LIMIT: SENDS - 4}
    assert _sent_messages(user) == 4


# -- several web processes, several sockets -------------------------------------------


@pytest.fixture
def two_web_processes(tmp_path: Any) -> Iterator[list[str]]:
    """Two Daphne processes on the test database (no runner: accepted turns stay queued)."""
    redis = RedisServer(tmp_path).start()
    procs = Processes(
        tmp_path,
        redis.url,
        extra_env={
            "CHAT_ACTIVE_TURNS_PER_USER": "3",
            "CHAT_SENDS_PER_MINUTE": "0",
            "CHAT_TURNS_PER_DAY": "0",
        },
    )
    try:
        yield [procs.web("web-a"), procs.web("web-b")]
    finally:
        procs.stop_all()
        redis.kill()


def _all_at_once(targets: list[tuple[str, int]], session: str) -> list[str]:
    """One socket per (host, chat); every socket sends together; each one's answer."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(_socket(h, c, session)) for h, c in targets]
        for socket in sockets:
            socket.recv(timeout=20)  # the snapshot
        start = threading.Barrier(len(sockets))

        def one(socket: ClientConnection) -> str:
            start.wait(timeout=30)
            socket.send(json.dumps({"content": "all at once"}))
            return str(socket.recv(timeout=20))

        with ThreadPoolExecutor(max_workers=len(sockets)) as pool:
            return list(pool.map(one, sockets))


def _socket(host: str, chat_id: int, session: str) -> ClientConnection:
    return connect(
        f"ws://{host}/ws/chats/{chat_id}/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": f"http://{host}"},
        open_timeout=20,
    )


@postgres
@pytest.mark.slow
def test_the_cap_holds_under_parallel_sends_from_sockets_on_two_processes(
    two_web_processes: list[str],
) -> None:
    user, chat_ids = _user_with_chats(12)
    session = login_session(user)
    hosts = [two_web_processes[i % 2] for i in range(len(chat_ids))]
    answers = _all_at_once(list(zip(hosts, chat_ids, strict=True)), session)
    refused = [a for a in answers if 'data-notice-code="active_limit"' in a]
    assert len(refused) == len(chat_ids) - 3, answers
    assert Chat.objects.filter(owner=user, status=ChatStatus.PENDING).count() == 3
    assert _sent_messages(user) == 3


_SQLITE_SETUP = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from chatcore.chats import create_chat
from chatcore.models import Provider
provider = Provider.objects.create(name="fake", kind="fake", models=["demo-echo"])
user = User.objects.create_user("hurried")
chats = [create_chat(owner=user, provider=provider).pk for _ in range(20)]
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"session": session.session_key, "chats": chats}))
"""

_SQLITE_COUNT = """
from chatcore.models import ChatMessage
print(ChatMessage.objects.filter(role="user").count())
"""


@pytest.fixture
def two_processes_on_one_sqlite_file(tmp_path: Any) -> Iterator[list[LiveServer]]:
    shared = {
        "DJANGO_SECRET_KEY": "shared-by-both-processes-" + "k" * 32,
        "SQLITE_PATH": str(tmp_path / "shared.sqlite3"),
        "CHAT_RUNNER": "external",
        "CHAT_FAKE_PROVIDER": "0",
        "CHAT_TURNS_PER_DAY": "5",
        "CHAT_ACTIVE_TURNS_PER_USER": "0",
        "CHAT_SENDS_PER_MINUTE": "0",
    }
    servers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            server = LiveServer(tmp_path / name, shared, sqlite=True)
            servers.append(server)
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
def test_the_daily_limit_holds_across_two_processes_on_one_sqlite_file(
    two_processes_on_one_sqlite_file: list[LiveServer],
) -> None:
    a, b = two_processes_on_one_sqlite_file
    setup = json.loads(a.manage("shell", "-c", _SQLITE_SETUP).strip().splitlines()[-1])
    hosts = [server.url.removeprefix("http://") for server in (a, b)]
    targets = [(hosts[i % 2], chat_id) for i, chat_id in enumerate(setup["chats"])]
    answers = _all_at_once(targets, setup["session"])
    refused = [answer for answer in answers if 'data-kind="usage_limit"' in answer]
    assert len(refused) == 15, answers
    assert a.manage("shell", "-c", _SQLITE_COUNT).strip().splitlines()[-1] == "5"
