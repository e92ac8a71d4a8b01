"""Hostile websocket frames: hypothesis strategies and the rule for what the socket may accept.

A frame the chat socket may act on is, by the protocol (the
composer's JSON): a JSON object with ``action`` one of ``ACTIONS`` (those about
one message name it: ``message`` a positive id), or without ``action`` (or
``"send"``) and with ``content`` a non-blank string of storable text (and an
optional string ``client_request_id`` of at most 200 characters); ``edit``
carries both. Everything else must be refused.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from chatcore.chats import MAX_CLIENT_ID_CHARS, MAX_MESSAGE_CHARS
from chatui.frames import ACTIONS, MAX_FRAME_BYTES

__all__ = ["Frame", "acceptable", "hostile_frames", "storable"]

Frame = tuple[str | None, bytes | None]

_KEYS = st.sampled_from(
    ["content", "action", "client_request_id", "HEADERS", "type", "event", "seq", "data"]
) | st.text(max_size=6)

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from([*sorted(ACTIONS), "delete", "send", "STOP", "chat.event", ""])
)

_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)

_OBJECTS = st.dictionaries(_KEYS, _JSON, max_size=4)


def storable(text: str) -> bool:
    """Text every database stores: PostgreSQL refuses NUL, no driver encodes lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def acceptable(frame: Frame) -> bool:
    """Whether the protocol lets the socket act on ``frame`` (see the module docstring)."""
    text, _ = frame
    if text is None or len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        return False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    action = data.get("action", "send")
    if not isinstance(action, str) or action not in {*ACTIONS, "send"}:
        return False
    if action in ("select_version", "edit") and not _message_id(data.get("message")):
        return False
    if action not in ("send", "edit"):
        return True
    content, request_id = data.get("content"), data.get("client_request_id", "")
    if request_id is None:
        request_id = ""
    return (
        isinstance(content, str)
        and isinstance(request_id, str)
        and bool(content.strip())
        and len(content.strip()) <= MAX_MESSAGE_CHARS
        and len(request_id.strip()) <= MAX_CLIENT_ID_CHARS
        and storable(content)
        and storable(request_id)
    )


def _message_id(value: object) -> bool:
    if isinstance(value, str):
        return value.isascii() and value.isdigit() and len(value) < 19
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _cut(document: str, at: int) -> str:
    return document[: max(1, min(at, len(document) - 1))]


def hostile_frames() -> st.SearchStrategy[Frame]:
    """Random text, malformed JSON, JSON of wrong types and shapes, unknown actions, binary."""
    text_frames = st.text(max_size=200).map(lambda text: (text, None))
    json_values = _JSON.map(lambda value: (json.dumps(value), None))
    objects = _OBJECTS.map(lambda value: (json.dumps(value), None))
    actions = _JSON.map(lambda action: (json.dumps({"action": action}), None))
    contents = st.fixed_dictionaries(
        {"content": _JSON}, optional={"client_request_id": _JSON, "HEADERS": _JSON}
    ).map(lambda value: (json.dumps(value), None))
    truncated = st.builds(_cut, _OBJECTS.map(json.dumps), st.integers(0, 200)).map(
        lambda text: (text, None)
    )
    binary = st.binary(max_size=300).map(lambda data: (None, data))
    frames = st.one_of(text_frames, json_values, objects, actions, contents, truncated, binary)
    return frames.filter(lambda frame: not acceptable(frame))
