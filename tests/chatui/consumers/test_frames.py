"""Client frames: what the socket accepts, and what it refuses without changing anything."""

from __future__ import annotations

import json

import pytest

from chatcore.chats import MAX_MESSAGE_CHARS
from chatcore.models import Chat, ChatMessage, ChatStatus
from chatui.frames import MAX_FRAME_BYTES, ClientFrame, FrameError, parse_frame
from chatui.gallery.dom import select, text_of
from tests.chatui.consumers.conftest import db, make_chat, make_user, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = [
    pytest.param("not json {", None, "malformed", id="non_json_text"),
    pytest.param(None, b"\x00\x01binary", "malformed", id="binary_frame"),
    pytest.param(json.dumps(["content", "hi"]), None, "malformed", id="json_that_is_not_an_object"),
    pytest.param(json.dumps({"content": 42}), None, "malformed", id="content_not_a_string"),
    pytest.param(json.dumps({}), None, "malformed", id="no_content_no_action"),
    pytest.param(
        json.dumps({"action": "delete_everything"}), None, "malformed", id="unknown_action"
    ),
    pytest.param(
        json.dumps({"content": "hi", "client_request_id": ["x"]}),
        None,
        "malformed",
        id="request_id_not_a_string",
    ),
    pytest.param(json.dumps({"content": "  \n "}), None, "empty", id="blank_content"),
    pytest.param(
        json.dumps({"content": "x" * (MAX_MESSAGE_CHARS + 1)}),
        None,
        "too_long",
        id="content_over_max_chars",
    ),
    pytest.param(
        json.dumps({"content": "x" * (MAX_FRAME_BYTES + 1)}),
        None,
        "too_large",
        id="frame_over_64_kib",
    ),
]


def _state(chat_id: int) -> tuple[int, str, int]:
    chat = Chat.objects.get(pk=chat_id)
    return ChatMessage.objects.filter(chat_id=chat_id).count(), chat.status, chat.event_seq


@pytest.mark.parametrize(("text", "data", "code"), REFUSED)
async def test_a_refused_frame_gets_a_notice_and_changes_nothing(fake, text, data, code) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    before = await db(_state)(chat.pk)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await frames.communicator.send_to(text_data=text, bytes_data=data)
        frame = await frames.next()
        await frames.communicator.receive_nothing(timeout=0.2)
    (notice,) = select(frame, "#chat-notice")
    assert notice.attrs["data-notice-code"] == code
    assert text_of(notice), "every refusal says why"
    assert await db(_state)(chat.pk) == before


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        pytest.param(
            json.dumps(
                {
                    "content": "  hi there \n",
                    "client_request_id": " r1 ",
                    "HEADERS": {"HX-Request": "true"},
                }
            ),
            ClientFrame("send", content="hi there", client_request_id="r1"),
            id="composer_json_with_htmx_headers",
        ),
        pytest.param(json.dumps({"action": "stop"}), ClientFrame("stop"), id="stop"),
        pytest.param(json.dumps({"action": "retry_now"}), ClientFrame("retry_now"), id="retry_now"),
        pytest.param(
            json.dumps({"action": "try_again", "HEADERS": {}}),
            ClientFrame("try_again"),
            id="try_again",
        ),
    ],
)
def test_accepted_frames_parse_to_one_request(text: str, frame: ClientFrame) -> None:
    assert parse_frame(text) == frame


def test_a_too_long_message_names_the_limit() -> None:
    with pytest.raises(FrameError) as refused:
        parse_frame(json.dumps({"content": "y" * (MAX_MESSAGE_CHARS + 1)}))
    assert refused.value.params == {"limit": MAX_MESSAGE_CHARS}


async def test_a_repeated_client_request_id_is_stored_once(fake) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await frames.send({"content": "once", "client_request_id": "same"})
        await frames.next()
        await frames.send({"content": "once", "client_request_id": "same"})
        await frames.communicator.receive_nothing(timeout=0.3)
    count = await db(ChatMessage.objects.filter(chat_id=chat.pk).count)()
    assert count == 1


async def test_a_second_message_while_a_turn_is_queued_is_refused_as_busy(fake) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await frames.send({"content": "first", "client_request_id": "a"})
        await frames.next()
        await frames.send({"content": "second", "client_request_id": "b"})
        frame = await frames.next()
    assert select(frame, "#chat-notice")[0].attrs["data-notice-code"] == "busy"
    texts = await db(lambda: [m.text for m in ChatMessage.objects.filter(chat_id=chat.pk)])()
    assert texts == ["first"]


async def test_our_own_usage_limit_shows_the_failed_callout_with_view_usage(fake, settings) -> None:
    settings.CHAT_TURNS_PER_DAY = 1
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await frames.send({"content": "used", "client_request_id": "b"})
        await frames.next()
        await db(Chat.objects.filter(pk=chat.pk).update)(status=ChatStatus.IDLE)
        await frames.send({"content": "one more", "client_request_id": "c"})
        frame = await frames.next()
    (callout,) = select(frame, "#chat-callout-slot [data-callout]")
    assert (callout.attrs["data-phase"], callout.attrs["data-kind"]) == ("failed", "usage_limit")
    assert select(callout, "[data-usage-link]")[0].attrs["href"] == "/usage/"
    assert "1 turns" in text_of(select(callout, "[data-callout-message]")[0])
    stored = await db(Chat.objects.get)(pk=chat.pk)
    assert stored.status == ChatStatus.IDLE
    assert await db(ChatMessage.objects.filter(chat_id=chat.pk).count)() == 1


async def test_stop_before_any_runner_claimed_the_turn_dequeues_it(fake) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await frames.send({"content": "never mind"})
        queued = await frames.next()
        assert select(queued, '[data-callout][data-phase="starting"]')
        await frames.send({"action": "stop"})
        frame = await frames.next()
    assert not select(frame, "#chat-callout-slot [data-callout]")
    assert not select(frame, "[data-provisional]")
    stored = await db(Chat.objects.get)(pk=chat.pk)
    assert stored.status == ChatStatus.IDLE
