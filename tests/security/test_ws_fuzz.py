"""Hostile websocket input: every refused frame gets a notice, changes nothing, and the
socket keeps working. Driven through the real ``chatui.asgi.application``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings

from chatcore.chats import chat_group
from chatcore.models import Chat, ChatMessage, ChatStatus
from chatui.frames import MAX_FRAME_BYTES
from chatui.gallery.dom import Node, parse_html, select
from tests.security.conftest import World, db, db_state, open_socket, session_cookie
from tests.security.frames import Frame, acceptable, hostile_frames

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
# A frame the socket must act on and that changes nothing on an idle chat
# without history: "Retry now" with nothing to retry answers the notice "nothing".
PROBE = json.dumps({"action": "retry_now"})
REFUSAL_CODES = {"malformed", "too_large", "too_long", "empty"}


def _notice(frame: Node) -> str:
    (notice,) = select(frame, "#chat-notice")
    return notice.attrs.get("data-notice-code", "")


async def _answer(communicator: WebsocketCommunicator) -> Node:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.send", f"expected a frame, the socket said {output}"
    return parse_html(output["text"])


async def _send_raw(communicator: WebsocketCommunicator, frame: Frame) -> None:
    """One frame as the server sees it (``send_to`` refuses empty frames a browser can send)."""
    text, data = frame
    message = {"type": "websocket.receive"}
    message.update({"text": text} if text is not None else {"bytes": data})
    await communicator.send_input(message)


async def _refused_then_usable(communicator: WebsocketCommunicator, frame: Frame) -> str:
    """Send ``frame``; the refusal's notice code, after proving the socket still works."""
    await _send_raw(communicator, frame)
    code = _notice(await _answer(communicator))
    await communicator.send_to(text_data=PROBE)
    assert _notice(await _answer(communicator)) == "nothing", "a valid frame still works"
    assert await communicator.receive_nothing(timeout=0.05)
    return code


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=hostile_frames())
async def test_random_hostile_frames_are_refused_and_change_nothing(
    world: World, frame: Frame
) -> None:
    cookie = await db(session_cookie)(world.owner)
    before = await db(db_state)()
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        connected, _ = await communicator.connect()
        assert connected
        await _answer(communicator)  # the snapshot
        code = await _refused_then_usable(communicator, frame)
    assert code in REFUSAL_CODES
    assert await db(db_state)() == before


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


EDGE_FRAMES = [
    pytest.param(("x" * MB, None), "too_large", id="one_mb_text_frame"),
    pytest.param((None, b"\x00" * MB), "malformed", id="one_mb_binary_frame"),
    pytest.param((json.dumps({"content": "y" * MB}), None), "too_large", id="one_mb_json_send"),
    pytest.param(
        (json.dumps({"content": "z" * (MAX_FRAME_BYTES - 20)}), None),
        "too_long",
        id="just_under_the_frame_limit_but_over_the_message_limit",
    ),
    pytest.param((_deep(30_000), None), "malformed", id="deeply_nested_json_array"),
    pytest.param(
        ('{"content": ' + _deep(20_000) + "}", None), "malformed", id="deeply_nested_content"
    ),
    pytest.param((json.dumps({"action": []}), None), "malformed", id="action_is_a_list"),
    pytest.param((json.dumps({"action": {"a": 1}}), None), "malformed", id="action_is_an_object"),
    pytest.param((json.dumps({"action": "drop_tables"}), None), "malformed", id="unknown_action"),
    pytest.param((json.dumps({"action": None}), None), "malformed", id="action_is_null"),
    pytest.param(
        (json.dumps({"type": "chat.event", "seq": 99, "event": "done"}), None),
        "malformed",
        id="client_forging_a_runner_event",
    ),
    pytest.param(
        (json.dumps({"type": "websocket.disconnect", "code": 1000}), None),
        "malformed",
        id="client_forging_an_asgi_message",
    ),
    pytest.param((r'{"content": "a\u0000b"}', None), "malformed", id="nul_in_content"),
    pytest.param((r'{"content": "\ud800"}', None), "malformed", id="lone_surrogate_in_content"),
    pytest.param(
        (r'{"content": "hi", "client_request_id": "\udfff"}', None),
        "malformed",
        id="lone_surrogate_in_request_id",
    ),
    pytest.param(
        (r'{"content": "hi", "client_request_id": "r\u0000"}', None),
        "malformed",
        id="nul_in_request_id",
    ),
    pytest.param(("", None), "malformed", id="empty_text_frame"),
    pytest.param((None, b""), "malformed", id="empty_binary_frame"),
    pytest.param(("NaN", None), "malformed", id="json_scalar_nan"),
    pytest.param((json.dumps({"content": "\u2003\n\t"}), None), "empty", id="unicode_blank"),
]


@pytest.mark.parametrize(("frame", "code"), EDGE_FRAMES)
async def test_edge_frames_are_refused_with_their_notice(
    world: World, frame: Frame, code: str
) -> None:
    assert not acceptable(frame)
    cookie = await db(session_cookie)(world.owner)
    before = await db(db_state)()
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        connected, _ = await communicator.connect()
        assert connected
        await _answer(communicator)
        assert await _refused_then_usable(communicator, frame) == code
    assert await db(db_state)() == before


async def test_after_a_barrage_of_hostile_frames_a_real_message_still_sends(
    world: World,
) -> None:
    cookie = await db(session_cookie)(world.owner)
    barrage: list[Frame] = [param.values[0] for param in EDGE_FRAMES]  # type: ignore[misc]
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        await communicator.connect()
        await _answer(communicator)
        for frame in barrage:
            await _send_raw(communicator, frame)
            assert _notice(await _answer(communicator)) in REFUSAL_CODES
        await communicator.send_to(text_data=json.dumps({"content": "still here"}))
        frame = await _answer(communicator)
    assert select(frame, '[data-callout][data-phase="starting"]'), "the turn was queued"
    texts = await db(lambda: [m.text for m in ChatMessage.objects.filter(chat=world.chat)])()
    assert texts == ["still here"]
    assert (await db(Chat.objects.get)(pk=world.chat.pk)).status == ChatStatus.PENDING


RUNNER_EVENTS = [
    pytest.param({"event": "no_such_event", "data": {"x": 1}}, id="unknown_event_name"),
    pytest.param({"event": "", "data": {}}, id="empty_event_name"),
    pytest.param({"event": "error", "data": "not an object"}, id="error_data_not_an_object"),
    pytest.param({"event": "retry", "data": [1, 2]}, id="retry_data_a_list"),
    pytest.param({"event": "delta", "data": {"text": 5}}, id="delta_text_not_a_string"),
    pytest.param({"event": "status", "data": {"phase": "<b>"}}, id="unknown_phase"),
    pytest.param({"event": "done", "data": None}, id="done_without_data"),
]


@pytest.mark.parametrize("event", RUNNER_EVENTS)
async def test_malformed_runner_events_do_not_break_the_socket(
    world: World, layer: Any, event: dict[str, Any]
) -> None:
    cookie = await db(session_cookie)(world.owner)
    before = await db(db_state)()
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        await communicator.connect()
        await _answer(communicator)
        message = {"type": "chat.event", "chat": world.chat.pk, "seq": 1, "attempt": 1, **event}
        await layer.group_send(chat_group(world.chat.pk), message)
        # Whatever the event renders (or nothing), the socket must answer the probe next.
        await communicator.send_to(text_data=PROBE)
        codes = []
        for _ in range(3):
            output = await communicator.receive_output(timeout=5)
            assert output["type"] == "websocket.send", output
            frame = parse_html(output["text"])
            assert not select(frame, "script")
            if select(frame, "#chat-notice"):
                codes.append(_notice(frame))
            if "nothing" in codes:
                break
    assert codes[-1] == "nothing"
    assert await db(db_state)() == before


@pytest.mark.parametrize(
    "path_id",
    [
        pytest.param("0", id="zero"),
        pytest.param("99999999999999999999", id="beyond_bigint"),
        pytest.param("1" * 40, id="forty_digits"),
    ],
)
async def test_absurd_chat_ids_in_the_socket_path_close_4403(world: World, path_id: str) -> None:
    cookie = await db(session_cookie)(world.owner)
    async with open_socket(f"/ws/chats/{path_id}/", cookie) as communicator:
        await communicator.connect()
        output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/ws/chats/abc/", id="letters"),
        pytest.param("/ws/chats/-1/", id="negative"),
        pytest.param("/ws/chats/1.5/", id="decimal"),
        pytest.param("/ws/chats/%D9%A1/", id="arabic_digit"),
        pytest.param("/ws/chats/1", id="no_trailing_slash"),
        pytest.param("/ws/admin/", id="unknown_path"),
    ],
)
async def test_socket_paths_that_match_no_route_close_4404(world: World, path: str) -> None:
    cookie = await db(session_cookie)(world.owner)
    async with open_socket(path, cookie) as communicator:
        await communicator.connect()
        output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4404}
