"""OpenAI Chat Completions, and every OpenAI-compatible server (Ollama, vLLM, OpenRouter).

The terminal event is the chunk that carries ``finish_reason`` (the SDK consumes
``data: [DONE]`` itself); a stream that ends without one was truncated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
from openai.types.chat import ChatCompletionChunk

from chatcore.providers._boundary import SDK_ERRORS, closed_early, content_filtered, convert_error
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
        self._client = openai.AsyncOpenAI(**client_options(config))

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
        if request.extra_headers:
            params["extra_headers"] = dict(request.extra_headers)
        return params

    async def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        ensure_usable(self._config, self.provider)
        response_id: str | None = None
        finish_reason: str | None = None
        usage: Usage | None = None
        sdk_stream: openai.AsyncStream[ChatCompletionChunk] | None = None
        try:
            sdk_stream = await self._client.chat.completions.create(**self._params(request))
            async for chunk in sdk_stream:
                response_id = chunk.id or response_id
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                text = choice.delta.content
                if text:
                    yield TextDelta(text)
                if choice.finish_reason:
                    finish_reason = choice.finish_reason
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
