"""Anthropic Messages.

The terminal event is ``message_stop``; a stream that ends before it was
truncated. The response id and input tokens arrive in ``message_start``, the
stop reason and final output tokens in ``message_delta``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import anthropic

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
        return params

    async def _open(self, request: TurnRequest) -> anthropic.AsyncStream[object]:
        # What `messages.create(stream=True)` sends, its events read as plain JSON: a
        # typed event model per token cost 5x the bytes' own decoding (bench/stream.py).
        # The SDK still raises an `error` event as a status error of the 200 response.
        return await self._client.post(
            "/v1/messages",
            body=self._params(request),
            cast_to=object,
            options={"headers": dict(request.extra_headers or {})},
            stream=True,
            stream_cls=anthropic.AsyncStream[object],
        )

    async def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        ensure_usable(self._config, self.provider)
        message_id: str | None = None
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        explanation: str | None = None
        stopped = False
        sdk_stream: anthropic.AsyncStream[object] | None = None
        try:
            sdk_stream = await self._open(request)
            async for event in sdk_stream:
                if not isinstance(event, dict):
                    continue  # not an event object: nothing in it for us
                kind = event.get("type")
                # Text deltas are nearly every event: test for them first.
                if kind == "content_block_delta":
                    delta = event.get("delta")
                    if isinstance(delta, dict) and delta.get("type") == "text_delta":
                        text = delta.get("text")
                        if isinstance(text, str) and text:
                            yield TextDelta(text)
                elif kind == "message_start":
                    message = _mapping(event.get("message"))
                    message_id = _str(message.get("id"))
                    usage = _mapping(message.get("usage"))
                    input_tokens = _int(usage.get("input_tokens"), input_tokens)
                    output_tokens = _int(usage.get("output_tokens"), output_tokens)
                elif kind == "message_delta":
                    delta = _mapping(event.get("delta"))
                    stop_reason = _str(delta.get("stop_reason")) or stop_reason
                    details = delta.get("stop_details")
                    if isinstance(details, Mapping):
                        explanation = _str(details.get("explanation"))
                    usage = _mapping(event.get("usage"))
                    output_tokens = _int(usage.get("output_tokens"), output_tokens)
                    input_tokens = _int(usage.get("input_tokens"), input_tokens)
                elif kind == "message_stop":
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


_EMPTY: Mapping[str, Any] = {}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object, default: int) -> int:
    return value if type(value) is int else default
