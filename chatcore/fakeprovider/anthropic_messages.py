"""Anthropic Messages: ``message`` documents and the ``message_start`` … ``message_stop`` SSE."""

from __future__ import annotations

import json
from typing import Any

from chatcore.fakeprovider.presets import ErrorSpec, error_body
from chatcore.fakeprovider.wire import Wire, dumps, new_id, sse

__all__ = ["MessagesWire"]


class MessagesWire(Wire):
    """One Messages answer with a single text content block."""

    api = "anthropic"
    request_id_header = "request-id"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_id = new_id("msg_01", 22)
        # Token events differ only in their text: encode the frame once.
        frame = dumps(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "\x00"},
            }
        )
        head, tail = frame.split('"\\u0000"')
        self._head = b"event: content_block_delta\ndata: " + head.encode()
        self._tail = tail.encode() + b"\n\n"

    def _usage(self, output_tokens: int) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        }

    def _message(
        self, content: list[dict[str, Any]], stop_reason: str | None, count: int
    ) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": self._usage(count),
        }

    def open(self) -> bytes:
        start = {"type": "message_start", "message": self._message([], None, 1)}
        block = {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        return (
            sse(start, event="message_start")
            + sse(block, event="content_block_start")
            + sse({"type": "ping"}, event="ping")
        )

    def delta(self, token: str) -> bytes:
        return self._head + json.dumps(token).encode() + self._tail

    def finish(self, text: str, count: int, *, refusal: bool) -> bytes:
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": "refusal" if refusal else "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": count},
        }
        return (
            sse({"type": "content_block_stop", "index": 0}, event="content_block_stop")
            + sse(delta, event="message_delta")
            + sse({"type": "message_stop"}, event="message_stop")
        )

    def fail(self, spec: ErrorSpec, text: str, count: int, *, event: str) -> bytes:
        return sse(error_body(spec, api=self.api, request_id=self.request_id), event="error")

    def document(self, text: str, count: int, *, refusal: bool) -> dict[str, Any]:
        content = [{"type": "text", "text": text}]
        return self._message(content, "refusal" if refusal else "end_turn", count)
