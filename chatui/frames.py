"""What the chat socket accepts from a browser: one JSON frame per command.

A send is the composer's form as JSON (``{"content", "client_request_id"}``,
checked by the chats service's one message validator); a button is
``{"action": "stop" | "retry_now" | "try_again" | "regenerate"}``; a version
switch is ``{"action": "select_version", "message": <id>}``; an edit of the
last question is ``{"action": "edit", "message": <id>, "content",
"client_request_id"}``. Anything else (binary, not JSON, too large, an unknown
action) is a ``FrameError`` whose code names the notice the page shows;
nothing is changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatcore.chats import MessageRefused, Outgoing, validate_message

__all__ = ["ACTIONS", "MAX_FRAME_BYTES", "ClientFrame", "FrameError", "parse_frame"]

MAX_FRAME_BYTES = 64 * 1024
ACTIONS = frozenset({"stop", "retry_now", "try_again", "regenerate", "select_version", "edit"})
# Actions about one message, which name it.
_ON_A_MESSAGE = frozenset({"select_version", "edit"})


class FrameError(ValueError):
    """A client frame the chat socket refuses; ``code`` names the notice shown."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ClientFrame:
    """One understood client frame: ``action`` is ``send`` or one of ``ACTIONS``."""

    action: str
    content: str = ""
    client_request_id: str = ""
    message_id: int = 0

    @property
    def message(self) -> Outgoing:
        return Outgoing(self.content, self.client_request_id)


def parse_frame(text_data: str | None, bytes_data: bytes | None = None) -> ClientFrame:
    """Validate a frame from the browser; raises ``FrameError`` for anything else."""
    if text_data is None:
        raise FrameError("malformed")
    if len(text_data.encode()) > MAX_FRAME_BYTES:
        raise FrameError("too_large")
    try:
        data = json.loads(text_data)
    except (ValueError, RecursionError):  # RecursionError: deep nesting within the size limit
        raise FrameError("malformed") from None
    if not isinstance(data, dict):
        raise FrameError("malformed")
    action = data.get("action", "send")
    if not isinstance(action, str) or action not in ACTIONS | {"send"}:
        raise FrameError("malformed")
    message_id = 0
    if action in _ON_A_MESSAGE:
        message_id = _message_id(data.get("message"))
    if action not in ("send", "edit"):
        return ClientFrame(action, message_id=message_id)
    try:
        message = validate_message(data.get("content"), data.get("client_request_id", ""))
    except MessageRefused as refused:
        raise FrameError(refused.code, **refused.params) from None
    return ClientFrame(
        action,
        content=message.content,
        client_request_id=message.client_request_id,
        message_id=message_id,
    )


def _message_id(value: object) -> int:
    """A message id from a form (a string of digits) or JSON (an int)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    raise FrameError("malformed")
