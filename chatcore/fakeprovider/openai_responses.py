"""OpenAI Responses: ``response`` documents and the ``response.*`` SSE event sequence."""

from __future__ import annotations

import json
from typing import Any

from chatcore.fakeprovider.presets import ErrorSpec
from chatcore.fakeprovider.wire import Wire, dumps, new_id, sse

__all__ = ["ResponsesWire"]


class ResponsesWire(Wire):
    """One Responses answer; every event carries the next ``sequence_number``."""

    api = "responses"
    request_id_header = "x-request-id"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.response_id = new_id("resp_", 48)
        self.item_id = new_id("msg_", 48)
        self._sequence = 0
        # Token events differ only in sequence number and delta: encode the rest
        # once, so streaming 20,000 tokens costs one json.dumps of a short string each.
        frame = dumps(
            {
                "type": "response.output_text.delta",
                "sequence_number": "\x01",
                "item_id": self.item_id,
                "output_index": 0,
                "content_index": 0,
                "delta": "\x00",
                "logprobs": [],
            }
        )
        head, rest = frame.split('"\\u0001"')
        middle, tail = rest.split('"\\u0000"')
        self._head = b"event: response.output_text.delta\ndata: " + head.encode()
        self._middle, self._tail = middle.encode(), tail.encode() + b"\n\n"

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def _emit(self, kind: str, **fields: Any) -> bytes:
        return sse(self._event(kind, **fields), event=kind)

    def _message(self, text: str, status: str) -> dict[str, Any]:
        content = [] if status == "in_progress" else [self._part(text)]
        return {
            "id": self.item_id,
            "type": "message",
            "status": status,
            "content": content,
            "role": "assistant",
        }

    @staticmethod
    def _part(text: str) -> dict[str, Any]:
        return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}

    def response(
        self, status: str, output: list[dict[str, Any]], count: int | None, **extra: Any
    ) -> dict[str, Any]:
        """The ``response`` object in a given state."""
        usage = None
        if count is not None:
            usage = {
                "input_tokens": self.input_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": count,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.input_tokens + count,
            }
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "background": False,
            "error": extra.get("error"),
            "incomplete_details": extra.get("incomplete_details"),
            "instructions": self.body.get("instructions"),
            "max_output_tokens": self.body.get("max_output_tokens"),
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": self.body.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": self.body.get("store", True) is not False,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": {},
        }

    def open(self) -> bytes:
        placement = {"item_id": self.item_id, "output_index": 0, "content_index": 0}
        return (
            self._emit("response.created", response=self.response("in_progress", [], None))
            + self._emit("response.in_progress", response=self.response("in_progress", [], None))
            + self._emit(
                "response.output_item.added",
                output_index=0,
                item=self._message("", "in_progress"),
            )
            + self._emit("response.content_part.added", **placement, part=self._part(""))
        )

    def delta(self, token: str) -> bytes:
        sequence = self._sequence
        self._sequence += 1
        return b"".join(
            (
                self._head,
                str(sequence).encode(),
                self._middle,
                json.dumps(token).encode(),
                self._tail,
            )
        )

    def _close_message(self, text: str, status: str) -> bytes:
        placement = {"item_id": self.item_id, "output_index": 0, "content_index": 0}
        return (
            self._emit("response.output_text.done", **placement, text=text, logprobs=[])
            + self._emit("response.content_part.done", **placement, part=self._part(text))
            + self._emit(
                "response.output_item.done", output_index=0, item=self._message(text, status)
            )
        )

    def finish(self, text: str, count: int, *, refusal: bool) -> bytes:
        if refusal:
            output = [self._message(text, "incomplete")]
            reason = {"reason": "content_filter"}
            final = self.response("incomplete", output, count, incomplete_details=reason)
            closing = self._close_message(text, "incomplete")
            return closing + self._emit("response.incomplete", response=final)
        final = self.response("completed", [self._message(text, "completed")], count)
        return self._close_message(text, "completed") + self._emit(
            "response.completed", response=final
        )

    def fail(self, spec: ErrorSpec, text: str, count: int, *, event: str) -> bytes:
        code = spec.code or spec.type
        if event == "error":
            return self._emit("error", code=code, message=spec.message, param=spec.param)
        error = {"code": code, "message": spec.message}
        output = [self._message(text, "incomplete")]
        failed = self.response("failed", output, count, error=error)
        return self._emit("response.failed", response=failed)

    def document(self, text: str, count: int, *, refusal: bool) -> dict[str, Any]:
        if refusal:
            output = [self._message(text, "incomplete")]
            reason = {"reason": "content_filter"}
            return self.response("incomplete", output, count, incomplete_details=reason)
        return self.response("completed", [self._message(text, "completed")], count)
