"""What a user may send: one validator for the chat socket and the JSON API.

A refusal names a code the page turns into a notice (and the API into a 400),
so both surfaces refuse the same messages for the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_CLIENT_ID_CHARS",
    "MAX_MESSAGE_CHARS",
    "MessageRefused",
    "Outgoing",
    "storable_text",
    "validate_message",
    "validate_request_id",
]

MAX_MESSAGE_CHARS = 32_000
MAX_CLIENT_ID_CHARS = 200


class MessageRefused(ValueError):
    """A message that is not sent; ``code`` names the reason (``params`` fill its text)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message that passed validation: trimmed text and the client's request id ("" none)."""

    content: str
    client_request_id: str = ""


def storable_text(text: str) -> bool:
    """Whether every database can store ``text``: PostgreSQL refuses NUL characters, and no
    driver encodes the lone surrogates a JSON ``\\ud800`` escape decodes to."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_request_id(client_request_id: object) -> str:
    """A client's request id, trimmed ("" none), or ``MessageRefused`` (``malformed``,
    ``id_too_long``): two different ids must never become one, so a long one is refused."""
    request_id = "" if client_request_id is None else client_request_id
    if not isinstance(request_id, str) or not storable_text(request_id):
        raise MessageRefused("malformed")
    request_id = request_id.strip()
    if len(request_id) > MAX_CLIENT_ID_CHARS:
        raise MessageRefused("id_too_long", limit=MAX_CLIENT_ID_CHARS)
    return request_id


def validate_message(content: object, client_request_id: object = "") -> Outgoing:
    """The message to send, or ``MessageRefused``: ``malformed`` (not text, or text no
    database stores), ``empty``, ``too_long`` (``limit``) or ``id_too_long`` (``limit``)."""
    if not isinstance(content, str) or not storable_text(content):
        raise MessageRefused("malformed")
    request_id = validate_request_id(client_request_id)
    content = content.strip()
    if not content:
        raise MessageRefused("empty")
    if len(content) > MAX_MESSAGE_CHARS:
        raise MessageRefused("too_long", limit=MAX_MESSAGE_CHARS)
    return Outgoing(content, request_id)
