"""OpenAI Chat Completions: ``chat.completion`` documents and ``chat.completion.chunk`` SSE."""

from __future__ import annotations

import json
from typing import Any

from chatcore.fakeprovider.presets import ErrorSpec, error_body
from chatcore.fakeprovider.wire import Wire, dumps, new_id, sse

__all__ = ["ChatCompletionsWire"]


class ChatCompletionsWire(Wire):
    """One Chat Completions answer; ``[DONE]`` only follows a finish_reason."""

    api = "chat"
    request_id_header = "x-request-id"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.completion_id = new_id("chatcmpl-", 29)
        options = self.body.get("stream_options") or {}
        self.include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
        # Every token chunk is identical but for the text: encode the frame once
        # so streaming 20,000 tokens costs one json.dumps of a short string each.
        head = dumps(self._chunk([{"index": 0, "delta": {"content": "\x00"}}]))
        self._prefix, self._suffix = (part.encode() for part in head.split('"\\u0000"'))

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        for choice in choices:
            choice.setdefault("logprobs", None)
            choice.setdefault("finish_reason", None)
        chunk: dict[str, Any] = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = None
        chunk.update(extra)
        return chunk

    def _usage(self, count: int) -> dict[str, Any]:
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": count,
            "total_tokens": self.input_tokens + count,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def open(self) -> bytes:
        delta = {"role": "assistant", "content": "", "refusal": None}
        return sse(self._chunk([{"index": 0, "delta": delta}]))

    def delta(self, token: str) -> bytes:
        return b"data: " + self._prefix + json.dumps(token).encode() + self._suffix + b"\n\n"

    def finish(self, text: str, count: int, *, refusal: bool) -> bytes:
        reason = "content_filter" if refusal else "stop"
        out = sse(self._chunk([{"index": 0, "delta": {}, "finish_reason": reason}]))
        if self.include_usage:
            out += sse(self._chunk([], usage=self._usage(count)))
        return out + sse("[DONE]")

    def fail(self, spec: ErrorSpec, text: str, count: int, *, event: str) -> bytes:
        # Chat Completions reports a mid-stream failure as an error object in a data line.
        return sse(error_body(spec, api=self.api, request_id=self.request_id))

    def document(self, text: str, count: int, *, refusal: bool) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text,
            "refusal": None,
            "annotations": [],
        }
        return {
            "id": self.completion_id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "content_filter" if refusal else "stop",
                }
            ],
            "usage": self._usage(count),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }
