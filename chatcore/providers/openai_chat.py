"""OpenAI Chat Completions, and every OpenAI-compatible server (Ollama, vLLM, OpenRouter).

The terminal event is the chunk that carries ``finish_reason`` (the SDK consumes
``data: [DONE]`` itself); a stream that ends without one was truncated. Routers
(OpenRouter and the like) report an upstream failure inside the 200 stream as a
choice with its own ``error`` object and ``finish_reason: "error"``; that chunk
is raised as a `ProviderError` with the whole chunk as its body.

Chunks are read as the SDK's plain decoded JSON (``cast_to=object``), not as
``ChatCompletionChunk`` models: building a pydantic model per token was a
sixth of a web process's CPU with 200 chats streaming (``bench/load.py``).
The SDK still builds the request, authenticates, decodes the SSE stream, and
raises its own errors for HTTP failures and in-stream ``error`` payloads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai

from chatcore.providers._boundary import (
    SDK_ERRORS,
    choice_error,
    closed_early,
    content_filtered,
    convert_error,
)
from chatcore.providers._shared import client_options, ensure_usable
from chatcore.providers.types import Finish, Part, ProviderConfig, TextDelta, TurnRequest, Usage

__all__ = ["ChatCompletionsAdapter"]


class ChatCompletionsAdapter:
    """Streams ``POST /chat/completions`` through one reused ``AsyncOpenAI`` client."""

    supports_chaining = False

    def __init__(
        self,
        config: ProviderConfig,
        *,
        provider: str = "openai",
        label: str = "openai chat completions",
        compatible: bool = False,
    ) -> None:
        self.provider = provider
        self._config = config
        self._label = label
        # OpenAI itself wants `max_completion_tokens`; compatible servers know `max_tokens`.
        self._max_tokens_field = "max_tokens" if compatible else "max_completion_tokens"
        self._client = openai.AsyncOpenAI(
            **client_options(config, aiohttp_client=openai.DefaultAioHttpClient)
        )

    async def aclose(self) -> None:
        await self._client.close()

    def _params(self, request: TurnRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.max_output_tokens is not None:
            params[self._max_tokens_field] = request.max_output_tokens
        return params

    async def _open(self, request: TurnRequest) -> openai.AsyncStream[object]:
        # What `chat.completions.create(stream=True)` sends, read as plain JSON.
        return await self._client.post(
            "/chat/completions",
            body=self._params(request),
            cast_to=object,
            options={"headers": dict(request.extra_headers or {})},
            stream=True,
            stream_cls=openai.AsyncStream[object],
        )

    async def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        ensure_usable(self._config, self.provider)
        response_id: str | None = None
        finish_reason: str | None = None
        usage: Usage | None = None
        sdk_stream: openai.AsyncStream[object] | None = None
        try:
            sdk_stream = await self._open(request)
            async for chunk in sdk_stream:
                if not isinstance(chunk, dict):
                    continue  # not a chunk object: nothing in it for us
                response_id = _text(chunk.get("id")) or response_id
                usage = _usage(chunk.get("usage")) or usage
                choices = chunk.get("choices")
                if not choices or not isinstance(choices, list):
                    continue
                choice = choices[0] if isinstance(choices[0], dict) else {}
                if choice.get("error") or choice.get("finish_reason") == "error":
                    raise choice_error(self.provider, chunk, label=self._label)
                delta = choice.get("delta")
                text = _text(delta.get("content")) if isinstance(delta, dict) else None
                if text:
                    yield TextDelta(text)
                if reason := _text(choice.get("finish_reason")):
                    finish_reason = reason
        except SDK_ERRORS as exc:
            raise convert_error(
                exc, provider=self.provider, label=self._label, streaming=sdk_stream is not None
            ) from exc
        finally:
            if sdk_stream is not None:
                await sdk_stream.close()
        if finish_reason is None:
            raise closed_early(self.provider, self._label, "finish_reason")
        if finish_reason == "content_filter":
            raise content_filtered(self.provider, self._label, "finish_reason: content_filter")
        yield Finish(response_id, usage, finish_reason)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _usage(counts: object) -> Usage | None:
    if not isinstance(counts, dict):
        return None
    prompt, completion = counts.get("prompt_tokens"), counts.get("completion_tokens")
    if type(prompt) is not int or type(completion) is not int:
        return None
    return Usage(prompt, completion)
