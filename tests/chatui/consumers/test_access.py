"""Who may open a chat's socket, and the snapshot an owner gets first."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from chatcore.models import Chat, ChatStatus
from chatui.gallery.dom import select, text_of
from tests.chatcore.persistence.factories import add_message
from tests.chatui.consumers.conftest import ORIGIN, db, make_chat, make_user, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)


async def _close_code(path: str, cookie: bytes | None) -> int:
    from chatui.asgi import application

    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        await communicator.connect()
        closed = await communicator.receive_output(timeout=5)
    finally:
        await communicator.disconnect()
    assert closed["type"] == "websocket.close"
    return int(closed["code"])


@pytest.mark.parametrize(
    ("who", "code"),
    [
        pytest.param("anonymous", 4401, id="anonymous_is_closed_4401"),
        pytest.param("stranger", 4403, id="another_users_chat_is_closed_4403"),
        pytest.param("missing", 4403, id="a_missing_chat_looks_like_a_foreign_one"),
    ],
)
async def test_only_the_owner_may_open_the_socket(fake, who: str, code: int) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    stranger = await db(make_user)("stranger")
    cookie = None if who == "anonymous" else await db(session_cookie)(stranger)
    path = f"/ws/chats/{chat.pk + 1000 if who == 'missing' else chat.pk}/"
    if who == "missing":
        cookie = await db(session_cookie)(owner)
    assert await _close_code(path, cookie) == code


async def test_a_foreign_origin_is_refused_before_anything_else(fake) -> None:
    from chatui.asgi import application

    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    cookie = await db(session_cookie)(owner)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/chats/{chat.pk}/",
        headers=[(b"origin", b"http://evil.example"), (b"cookie", cookie)],
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


def _failed_chat_with_history(chat: Chat) -> None:
    add_message(chat, "user", "What is <b>bold</b>?")
    error = {
        "message": "The AI provider rejected the request.",
        "kind": "generic",
        "provider": "",
        "retryable": True,
        "status_code": 400,
        "detail": "<script>window.pwned = 1</script> bad request",
    }
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.FAILED, last_error=error, event_seq=7)


async def test_the_owner_gets_a_snapshot_of_transcript_and_persisted_error(fake) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    await db(_failed_chat_with_history)(chat)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        frame = await frames.next()
        await frames.communicator.receive_nothing(timeout=0.2)

    (message,) = select(frame, '#transcript [data-message][data-role="user"]')
    assert text_of(select(message, "[data-message-content]")[0]) == "What is <b>bold</b>?"
    assert not select(frame, "[data-provisional]"), "no turn is running"
    (callout,) = select(frame, "#chat-callout-slot [data-callout]")
    assert (callout.attrs["data-phase"], callout.attrs["data-kind"]) == ("failed", "generic")
    assert text_of(select(callout, "[data-callout-title]")[0]) == "Request failed"
    assert (
        text_of(select(callout, "[data-detail]")[0])
        == "<script>window.pwned = 1</script> bad request"
    )
    assert select(callout, "[data-status-code]")[0].attrs["data-status-code"] == "400"
    assert select(callout, "[data-try-again]"), "retryable terminal errors offer Try again"
    assert not select(frame, "script"), "provider text is escaped, never markup"
    assert select(frame, "#turn-controls") and not select(frame, "[data-turn-stop]")
