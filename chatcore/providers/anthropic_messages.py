"""Anthropic Messages.

The terminal event is ``message_stop``; a stream that ends before it was
truncated. The response id and input tokens arrive in ``message_start``, the
stop reason and final output tokens in ``message_delta``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
from anthropic.types import (
    RawContentBlockDeltaEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    RawMessageStreamEvent,
)
from anthropic.types import (
    TextDelta as AnthropicTextDelta,
)

from chatcore.providers._boundary import SDK_ERRORS, closed_early, content_filtered, convert_error
from chatcore.providers._shared import client_options, ensure_usable
from chatcore.providers.types import Finish, Part, ProviderConfig, TextDelta, TurnRequest, Usage

__all__ = ["AnthropicAdapter"]

_LABEL = "anthropic"
# The Messages API requires max_tokens; this is used when the turn does not set one.
DEFAULT_MAX_TOKENS = 4096


class AnthropicAdapter:
    """Streams ``POST /v1/messages`` through one reused ``AsyncAnthropic`` client."""

    supports_chaining = False

    def __init__(self, config: ProviderConfig, *, provider: str = "anthropic") -> None:
        self.provider = provider
        self._config = config
        self._client = anthropic.AsyncAnthropic(
            **client_options(config, aiohttp_client=anthropic.DefaultAioHttpClient)
        )

    async def aclose(self) -> None:
        await self._client.close()

    @staticmethod
    def _params(request: TurnRequest) -> dict[str, Any]:
        # Anthropic takes system prompts as a separate field, not as messages.
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        params: dict[str, Any] = {
            "model": request.model,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
            "max_tokens": request.max_output_tokens or DEFAULT_MAX_TOKENS,
            "stream": True,
        }
        if system:
            params["system"] = system
        if request.extra_headers:
            params["extra_headers"] = dict(request.extra_headers)
        return params

    async def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        ensure_usable(self._config, self.provider)
        message_id: str | None = None
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        explanation: str | None = None
        stopped = False
        sdk_stream: anthropic.AsyncStream[RawMessageStreamEvent] | None = None
        try:
            sdk_stream = await self._client.messages.create(**self._params(request))
            async for event in sdk_stream:
                # Text deltas are nearly every event: test for them first.
                if isinstance(event, RawContentBlockDeltaEvent):
                    delta = event.delta
                    if isinstance(delta, AnthropicTextDelta) and delta.text:
                        yield TextDelta(delta.text)
                elif isinstance(event, RawMessageStartEvent):
                    message_id = event.message.id
                    input_tokens = event.message.usage.input_tokens
                    output_tokens = event.message.usage.output_tokens
                elif isinstance(event, RawMessageDeltaEvent):
                    stop_reason = event.delta.stop_reason or stop_reason
                    if event.delta.stop_details is not None:
                        explanation = event.delta.stop_details.explanation
                    output_tokens = event.usage.output_tokens
                    if event.usage.input_tokens is not None:
                        input_tokens = event.usage.input_tokens
                elif isinstance(event, RawMessageStopEvent):
                    stopped = True
        except SDK_ERRORS as exc:
            raise convert_error(
                exc, provider=self.provider, label=_LABEL, streaming=sdk_stream is not None
            ) from exc
        finally:
            if sdk_stream is not None:
                await sdk_stream.close()
        if not stopped:
            raise closed_early(self.provider, _LABEL, "message_stop")
        if stop_reason == "refusal":
            raise content_filtered(self.provider, _LABEL, "stop_reason: refusal", explanation)
        yield Finish(message_id, Usage(input_tokens, output_tokens), stop_reason)
