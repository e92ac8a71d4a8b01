"""OpenAI Responses, the one API with chain mode (``previous_response_id``).

Terminal events are ``response.completed`` and ``response.incomplete`` (a length
stop); ``response.failed`` and ``error`` are in-stream errors. A stream that ends
before any of them was truncated, and never yields a ``Finish``: the runner
stores a response id only from a ``Finish``, so a cut turn never anchors a chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import openai

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
        return params

    async def _open(self, request: TurnRequest) -> openai.AsyncStream[object]:
        # What `responses.create(stream=True)` sends, its events read as plain JSON: a
        # typed event model per token cost 18x the bytes' own decoding (bench/stream.py).
        return await self._client.post(
            "/responses",
            body=self._params(request),
            cast_to=object,
            options={"headers": dict(request.extra_headers or {})},
            stream=True,
            stream_cls=openai.AsyncStream[object],
        )

    async def stream(self, request: TurnRequest) -> AsyncIterator[Part]:
        ensure_usable(self._config, self.provider)
        finish: Finish | None = None
        sdk_stream: openai.AsyncStream[object] | None = None
        try:
            sdk_stream = await self._open(request)
            async for event in sdk_stream:
                if not isinstance(event, dict):
                    continue  # not an event object: nothing in it for us
                kind = event.get("type")
                # Text deltas are nearly every event: test for them first.
                if kind == "response.output_text.delta":
                    delta = event.get("delta")
                    if isinstance(delta, str) and delta:
                        yield TextDelta(delta)
                elif kind in ("response.completed", "response.incomplete"):
                    finish = _finish(event.get("response"))
                elif kind == "response.failed":
                    response = event.get("response")
                    error = response.get("error") if isinstance(response, Mapping) else None
                    raise in_stream_error(
                        self.provider,
                        error if isinstance(error, Mapping) else {"message": "response failed"},
                        label=_LABEL,
                    )
                elif kind == "error":
                    fields = {k: event.get(k) for k in ("message", "code", "param")}
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


def _finish(response: object) -> Finish:
    """The Finish of a completed response, or of one cut short by a limit (``incomplete``)."""
    body: Mapping[str, Any] = response if isinstance(response, Mapping) else {}
    reason: str = "stop"
    if body.get("status") == "incomplete":
        details = body.get("incomplete_details")
        said = details.get("reason") if isinstance(details, Mapping) else None
        reason = said if isinstance(said, str) and said else "incomplete"
    response_id = body.get("id")
    return Finish(
        response_id if isinstance(response_id, str) else None,
        _usage(body.get("usage")),
        reason,
    )


def _usage(counts: object) -> Usage | None:
    if not isinstance(counts, Mapping):
        return None
    prompt, completion = counts.get("input_tokens"), counts.get("output_tokens")
    if type(prompt) is not int or type(completion) is not int:
        return None
    return Usage(prompt, completion)
