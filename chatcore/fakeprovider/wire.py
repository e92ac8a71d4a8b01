"""What every API's encoder offers the streaming driver, and the SSE framing they share."""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from chatcore.fakeprovider.presets import ErrorSpec

__all__ = ["Wire", "dumps", "new_id", "sse"]


def dumps(value: Any) -> str:
    """Compact JSON, as the providers send it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sse(data: Any, *, event: str | None = None) -> bytes:
    """One SSE event: an optional ``event:`` line, one ``data:`` line, a blank line."""
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else dumps(data)
    return f"{head}data: {payload}\n\n".encode()


def new_id(prefix: str, length: int = 24) -> str:
    """A random id in the provider's style (``chatcmpl-…``, ``resp_…``, ``msg_…``)."""
    return prefix + (uuid.uuid4().hex + uuid.uuid4().hex)[:length]


class Wire(ABC):
    """Encodes one request's answer in one API's wire format (stateful: ids, sequence numbers)."""

    api: ClassVar[str]
    request_id_header: ClassVar[str]

    def __init__(
        self, *, model: str, body: dict[str, Any], input_tokens: int, request_id: str, created: int
    ) -> None:
        self.model = model
        self.body = body
        self.input_tokens = input_tokens
        self.request_id = request_id
        self.created = created

    @abstractmethod
    def open(self) -> bytes:
        """The events sent before the first token."""

    @abstractmethod
    def delta(self, token: str) -> bytes:
        """One token as one delta event."""

    @abstractmethod
    def finish(self, text: str, count: int, *, refusal: bool) -> bytes:
        """The terminal events of a stream that produced ``text`` in ``count`` tokens."""

    @abstractmethod
    def fail(self, spec: ErrorSpec, text: str, count: int, *, event: str) -> bytes:
        """An in-stream error after ``text``; ``event`` picks Responses' failed/error form."""

    @abstractmethod
    def document(self, text: str, count: int, *, refusal: bool) -> dict[str, Any]:
        """The non-streaming JSON response."""

    def event(self, body: Any) -> bytes:
        """A scripted in-stream event, written as given (a ``stream_error``'s ``body``).

        Its SSE event name is the body's ``type`` where the API names events
        (Anthropic, Responses); Chat Completions sends bare ``data:`` lines.
        """
        if self.api == "chat" or not isinstance(body, dict):
            return sse(body)
        return sse(body, event=str(body.get("type") or "error"))

    def stream_headers(self) -> list[tuple[str, str]]:
        """Response headers of an SSE answer."""
        return [
            ("content-type", "text/event-stream; charset=utf-8"),
            ("cache-control", "no-cache"),
            (self.request_id_header, self.request_id),
        ]
