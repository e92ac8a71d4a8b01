"""A user's own limits as an abuser meets them, through the real API and the real socket.

Each refusal is a clear answer (a `ChatError` of kind ``usage_limit`` for our own
limits: 409 for turns in flight and the day, 429 with ``Retry-After`` for the
minute; 422 for an ``Idempotency-Key`` reused with other content; 400 for an id
past 200 characters), and a refused request changes nothing. Over the socket
the refusal is a notice and the composer is not re-rendered, so it keeps the
text. The parallel proofs on PostgreSQL are in ``test_admission_races.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chatcore.chats import MAX_CLIENT_ID_CHARS
from chatcore.models import Chat, ChatMessage, ChatStatus
from chatui.gallery.dom import Node, parse_html, select, text_of
from tests.security.conftest import (
    World,
    db,
    db_state,
    logged_in,
    open_socket,
    session_cookie,
)

pytestmark = pytest.mark.django_db

NO_LIMITS = {"CHAT_ACTIVE_TURNS_PER_USER": 0, "CHAT_SENDS_PER_MINUTE": 0, "CHAT_TURNS_PER_DAY": 0}


@pytest.fixture
def limits(settings: Any) -> Any:
    """Every limit off; a test turns on the one it is about."""
    for name, value in NO_LIMITS.items():
        setattr(settings, name, value)
    return settings


def _chats(world: World, n: int) -> list[Chat]:
    return [
        Chat.objects.create(owner=world.owner, provider=world.provider, model="demo-echo")
        for _ in range(n)
    ]


def _send(client: Client, chat: Chat, content: str = "hello", **headers: str) -> Any:
    body = json.dumps({"content": content})
    return client.post(
        f"/api/chats/{chat.pk}/messages/", body, content_type="application/json", headers=headers
    )


def _usage_limit(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    body: dict[str, Any] = response.json()
    assert (body["kind"], body["retryable"]) == ("usage_limit", False)
    assert "provider" not in body, "our own limit names no provider"
    return body


def test_api_turns_in_flight_over_the_cap_are_409(world: World, limits: Any) -> None:
    limits.CHAT_ACTIVE_TURNS_PER_USER = 3
    client = logged_in(world.owner)
    chats = _chats(world, 4)
    assert [_send(client, c).status_code for c in chats[:3]] == [202, 202, 202]
    before = db_state()
    body = _usage_limit(_send(client, chats[3]), 409)
    assert "3 of your replies are already in progress" in body["message"]
    assert db_state() == before


def test_api_sends_over_the_minute_are_429_with_retry_after(world: World, limits: Any) -> None:
    limits.CHAT_SENDS_PER_MINUTE = 2
    client = logged_in(world.owner)
    chats = _chats(world, 3)
    for chat in chats[:2]:
        assert _send(client, chat).status_code == 202
    before = db_state()
    response = _send(client, chats[2])
    body = _usage_limit(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert f"Wait {response['Retry-After']} s" in body["message"]
    assert db_state() == before


def test_api_the_daily_limit_is_409(world: World, limits: Any) -> None:
    limits.CHAT_TURNS_PER_DAY = 1
    client = logged_in(world.owner)
    first, second = _chats(world, 2)
    assert _send(client, first).status_code == 202
    before = db_state()
    body = _usage_limit(_send(client, second), 409)
    assert "daily limit" in body["message"]
    assert db_state() == before


def test_api_try_again_over_the_cap_is_409(world: World, limits: Any) -> None:
    limits.CHAT_ACTIVE_TURNS_PER_USER = 1
    client = logged_in(world.owner)
    busy, failed = _chats(world, 2)
    assert _send(client, failed).status_code == 202
    Chat.objects.filter(pk=failed.pk).update(status=ChatStatus.FAILED)
    assert _send(client, busy).status_code == 202
    before = db_state()
    response = client.post(f"/api/chats/{failed.pk}/retry/", "{}", content_type="application/json")
    _usage_limit(response, 409)
    assert db_state() == before


IDEMPOTENCY = [
    pytest.param("hello", 202, True, id="same_key_same_content_is_the_same_send"),
    pytest.param("something else", 422, None, id="same_key_other_content_is_422"),
]


@pytest.mark.parametrize(("again", "status", "duplicate"), IDEMPOTENCY)
def test_api_idempotency_key_reused(
    world: World, limits: Any, again: str, status: int, duplicate: bool | None
) -> None:
    client = logged_in(world.owner)
    assert _send(client, world.chat, "hello", **{"Idempotency-Key": "k-1"}).status_code == 202
    Chat.objects.filter(pk=world.chat.pk).update(status=ChatStatus.IDLE)
    before = db_state()
    response = _send(client, world.chat, again, **{"Idempotency-Key": "k-1"})
    assert response.status_code == status, response.content[:300]
    if duplicate is None:
        assert "already used for a different message" in response.json()["error"]
    else:
        assert response.json()["duplicate"] is duplicate
    assert db_state() == before
    assert [m.text for m in ChatMessage.objects.filter(chat=world.chat)] == ["hello"]


def test_api_an_idempotency_key_past_the_limit_is_refused_not_cut(
    world: World, limits: Any
) -> None:
    client = logged_in(world.owner)
    long_key = "k" * (MAX_CLIENT_ID_CHARS + 1)
    before = db_state()
    response = _send(client, world.chat, **{"Idempotency-Key": long_key})
    assert response.status_code == 400
    assert "at most 200 characters" in response.json()["error"]
    assert db_state() == before


# -- the socket -------------------------------------------------------------------


async def _frame(communicator: Any) -> Node:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.send", output
    return parse_html(output["text"])


def _notice(frame: Node) -> tuple[str, str]:
    (notice,) = select(frame, "#chat-notice")
    return notice.attrs.get("data-notice-code", ""), text_of(notice).strip()


async def _socket_send(cookie: bytes, chat: Chat, frames: list[dict[str, Any]]) -> list[Node]:
    """Send each frame on the chat's socket; the answer to each."""
    answers = []
    async with open_socket(f"/ws/chats/{chat.pk}/", cookie) as communicator:
        connected, _ = await communicator.connect()
        assert connected
        await _frame(communicator)  # the snapshot
        for frame in frames:
            await communicator.send_to(text_data=json.dumps(frame))
            answers.append(await _frame(communicator))
    return answers


SOCKET_REFUSALS = [
    # (row id, settings, what fills the limit first, the refusal's code, words of its text)
    pytest.param(
        {"CHAT_ACTIVE_TURNS_PER_USER": 1}, "active_limit", "already in progress", id="cap"
    ),
    pytest.param({"CHAT_SENDS_PER_MINUTE": 1}, "rate_limit", "1 messages a minute", id="rate"),
]


@pytest.mark.parametrize(("configured", "code", "words"), SOCKET_REFUSALS)
@pytest.mark.django_db(transaction=True)
async def test_socket_refusals_are_notices_that_leave_the_composer_alone(
    world: World, limits: Any, configured: dict[str, int], code: str, words: str
) -> None:
    for name, value in configured.items():
        setattr(limits, name, value)
    (other,) = await db(_chats)(world, 1)
    client = await db(logged_in)(world.owner)
    assert (await db(_send)(client, other)).status_code == 202
    cookie = await db(session_cookie)(world.owner)
    before = await db(db_state)()
    (answer,) = await _socket_send(cookie, world.chat, [{"content": "keep me"}])
    got_code, text = _notice(answer)
    assert (got_code, words in text) == (code, True), text
    assert not select(answer, "[data-composer]"), "the composer (and its text) is left alone"
    assert not select(answer, "[data-callout]"), "a passing refusal is not a failed turn"
    assert await db(db_state)() == before


@pytest.mark.django_db(transaction=True)
async def test_socket_request_id_reused_with_other_content_is_a_conflict_notice(
    world: World, limits: Any
) -> None:
    first = {"content": "hello", "client_request_id": "r-1"}
    second = {"content": "other", "client_request_id": "r-1"}
    cookie = await db(session_cookie)(world.owner)
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        await communicator.connect()
        await _frame(communicator)
        await communicator.send_to(text_data=json.dumps(first))
        await _frame(communicator)
        await db(Chat.objects.filter(pk=world.chat.pk).update)(status=ChatStatus.IDLE)
        before = await db(db_state)()
        await communicator.send_to(text_data=json.dumps(second))
        answer = await _frame(communicator)
        while not select(answer, "#chat-notice"):  # the sidebar's news of the first send
            answer = await _frame(communicator)
        code, _ = _notice(answer)
    assert code == "conflict"
    assert await db(db_state)() == before


@pytest.mark.django_db(transaction=True)
async def test_socket_client_id_past_the_limit_is_refused_not_cut(
    world: World, limits: Any
) -> None:
    """Two ids that agree on their first 200 characters must never become one send."""
    stem = "i" * MAX_CLIENT_ID_CHARS
    cookie = await db(session_cookie)(world.owner)
    before = await db(db_state)()
    answers = await _socket_send(
        cookie,
        world.chat,
        [
            {"content": "first", "client_request_id": stem + "A"},
            {"content": "second", "client_request_id": stem + "B"},
        ],
    )
    assert [_notice(a)[0] for a in answers] == ["id_too_long", "id_too_long"]
    assert await db(db_state)() == before
