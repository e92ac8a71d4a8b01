"""OpenAI Responses, the one API with chain mode (``previous_response_id``).

Terminal events are ``response.completed`` and ``response.incomplete`` (a length
stop); ``response.failed`` and ``error`` are in-stream errors. A stream that ends
before any of them was truncated, and never yields a ``Finish``: the runner
stores a response id only from a ``Finish``, so a cut turn never anchors a chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)

from chatcore.providers._boundary import (
    SDK_ERRORS,
    closed_early,
    content_filtered,
    convert_error,
    in_stream_error,
)
from chatcore.providers._shared import client_options, ensure_usable
from chatcore.providers.types import Finish, Part, ProviderConfig, TextDelta, TurnRequest, Usage

__all__ = ["ResponsesAdapter"]

_LABEL = "openai responses"


class ResponsesAdapter:
    """Streams ``POST /responses`` through one reused ``AsyncOpenAI`` client."""

    supports_chaining = True

    def __init__(self, config: ProviderConfig, *, provider: str = "openai") -> None:
        self.provider = provider
        self._config = config
        self._client = openai.AsyncOpenAI(
            **client_options(config, aiohttp_client=openai.DefaultAioHttpClient)
        )

    async def aclose(self) -> None:
        await self._client.close()

    @staticmethod
    def _params(request: TurnRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "input": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
        }
        if request.previous_response_id is not None:
            params["previous_response_id"] = request.previous_response_id
        if request.max_output_tokens is not None:
            params["max_output_tokens"] = request.max_output_tokens
        if request.extra_headers:
            params["extra_headers"] = dict(request.extra_headers)
        return params

    async def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        ensure_usable(self._config, self.provider)
        finish: Finish | None = None
        sdk_stream: openai.AsyncStream[ResponseStreamEvent] | None = None
        try:
            sdk_stream = await self._client.responses.create(**self._params(request))
            async for event in sdk_stream:
                # Text deltas are nearly every event: test for them first.
                if isinstance(event, ResponseTextDeltaEvent):
                    if event.delta:
                        yield TextDelta(event.delta)
                elif isinstance(event, ResponseCompletedEvent | ResponseIncompleteEvent):
                    finish = _finish(event.response)
                elif isinstance(event, ResponseFailedEvent):
                    error = event.response.error
                    raise in_stream_error(
                        self.provider,
                        error.to_dict() if error is not None else {"message": "response failed"},
                        label=_LABEL,
                    )
                elif isinstance(event, ResponseErrorEvent):
                    fields = {"message": event.message, "code": event.code, "param": event.param}
                    raise in_stream_error(self.provider, fields, label=_LABEL)
        except SDK_ERRORS as exc:
            raise convert_error(
                exc, provider=self.provider, label=_LABEL, streaming=sdk_stream is not None
            ) from exc
        finally:
            if sdk_stream is not None:
                await sdk_stream.close()
        if finish is None:
            raise closed_early(self.provider, _LABEL, "terminal event")
        if finish.finish_reason == "content_filter":
            raise content_filtered(
                self.provider, _LABEL, "incomplete_details.reason: content_filter"
            )
        yield finish


def _finish(response: Response) -> Finish:
    """The Finish of a completed response, or of one cut short by a limit (``incomplete``)."""
    usage = response.usage
    reason: str = "stop"
    if response.status == "incomplete":
        details = response.incomplete_details
        reason = (details.reason if details is not None else None) or "incomplete"
    return Finish(
        response.id,
        Usage(usage.input_tokens, usage.output_tokens) if usage is not None else None,
        reason,
    )
