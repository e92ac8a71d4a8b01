"""Reading what a request asked for: its conversation key, last user text and size."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["conversation_key", "input_token_count", "last_user_text"]

# The request fields that identify "the same request again" per API.
_IDENTITY_FIELDS = {
    "chat": ("messages",),
    "responses": ("input", "instructions", "previous_response_id"),
    "anthropic": ("messages", "system"),
}


def conversation_key(api: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """``X-Fake-Conversation`` if given, else a hash that is equal for retries of one request."""
    explicit = headers.get("x-fake-conversation")
    if explicit:
        return explicit
    identity = [api, body.get("model"), headers.get("x-fake-scenario")]
    identity += [body.get(name) for name in _IDENTITY_FIELDS[api]]
    encoded = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def last_user_text(api: str, body: Mapping[str, Any]) -> str:
    """The text of the last user message (what ``echo`` answers with)."""
    items = body.get("input") if api == "responses" else body.get("messages")
    if isinstance(items, str):
        return items
    if not isinstance(items, list):
        return ""
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return _text_of(item.get("content"))
    return ""


def input_token_count(api: str, body: Mapping[str, Any]) -> int:
    """A rough word count of everything sent, reported as usage input tokens."""
    parts = [body.get(name) for name in _IDENTITY_FIELDS[api] if name != "previous_response_id"]
    return max(1, sum(len(_text_of(part).split()) for part in parts))


def _text_of(content: Any) -> str:
    """Concatenate the text in a string, a list of parts/messages, or a message."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(filter(None, (_text_of(part) for part in content)))
    if isinstance(content, dict):
        if isinstance(content.get("text"), str):
            return str(content["text"])
        return _text_of(content.get("content"))
    return ""
