"""Answering one API request once its outcome is known: an HTTP error, or an answer played."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chatcore.fakeprovider.asgi import Receive, Send, Sleep, send_bytes
from chatcore.fakeprovider.inputs import input_token_count, last_user_text
from chatcore.fakeprovider.outcomes import ERROR_PRESETS, Outcome
from chatcore.fakeprovider.presets import ErrorSpec, error_bytes, resolve_error, retry_headers
from chatcore.fakeprovider.streaming import Answer, play_document, play_stream
from chatcore.fakeprovider.text import (
    markdown_stamp_token,
    split_tokens,
    stamp_token,
    tokens_for,
)
from chatcore.fakeprovider.wire import Wire, new_id

__all__ = ["Responder", "api_key", "invalid_request"]

_REQUIRED = {
    "chat": ("model", "messages"),
    "responses": ("model",),
    "anthropic": ("model", "messages", "max_tokens"),
}


class Responder:
    """Turns (request, outcome) into bytes on the wire, with injectable time."""

    def __init__(
        self, *, sleep: Sleep, clock: Callable[[], float], wall_clock: Callable[[], float]
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock

    async def answer(
        self,
        send: Send,
        receive: Receive,
        wire_class: type[Wire],
        body: dict[str, Any],
        headers: dict[str, str],
        outcome: Outcome,
        *,
        on_complete: Callable[[Wire], None],
    ) -> None:
        """Send what ``outcome`` says for this request; ``on_complete`` runs on success."""
        api, streaming = wire_class.api, body.get("stream") is True
        if outcome.kind == "status":
            await self._sleep(outcome.delay)
            await _send_status(send, outcome)
            return
        error = self._error(outcome, api, body, headers)
        if error is not None and (outcome.kind != "stream_error" or not streaming):
            # Errors come before any streaming starts, as real providers send them.
            await self._sleep(outcome.delay)
            extra = (*retry_headers(outcome, now=self._wall_clock()), *outcome.headers)
            await self.send_error(send, api, error, extra)
            return
        wire = wire_class(
            model=str(body["model"]),
            body=body,
            input_tokens=input_token_count(api, body),
            request_id=new_id("req_", 24),
            created=int(self._wall_clock()),
        )
        answer = Answer(
            outcome=outcome,
            tokens=_tokens(outcome, api, body),
            error=error,
            headers=outcome.headers,
            on_complete=lambda: on_complete(wire),
            emit=(self._stamp_markdown if outcome.markdown else self._stamp)
            if outcome.stamp
            else _as_is,
        )
        if streaming:
            await play_stream(send, receive, wire, answer, sleep=self._sleep, clock=self._clock)
        else:
            await play_document(send, receive, wire, answer, sleep=self._sleep)

    def _stamp(self, index: int, token: str) -> str:
        return stamp_token(index, self._wall_clock())

    def _stamp_markdown(self, index: int, token: str) -> str:
        return markdown_stamp_token(index, self._wall_clock())

    @staticmethod
    def _error(
        outcome: Outcome, api: str, body: dict[str, Any], headers: dict[str, str]
    ) -> ErrorSpec | None:
        preset = outcome.kind if outcome.kind in ERROR_PRESETS else None
        if outcome.kind == "stream_error":
            # Each provider's most typical mid-stream failure.
            preset = outcome.error or ("overloaded" if api == "anthropic" else "server_error")
        if preset is None:
            return None
        return resolve_error(
            preset,
            api=api,
            model=str(body["model"]),
            api_key=api_key(headers),
            previous_response_id=body.get("previous_response_id"),
            message=outcome.message,
            status=outcome.status,
        )

    @staticmethod
    async def send_error(
        send: Send, api: str, spec: ErrorSpec, extra: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """An HTTP error response in the provider's body shape, with its request-id header."""
        request_id = new_id("req_", 24)
        body, content_type = error_bytes(spec, api=api, request_id=request_id)
        id_header = "request-id" if api == "anthropic" else "x-request-id"
        headers = [("content-type", content_type), (id_header, request_id), *extra]
        await send_bytes(send, spec.status, body, headers)


def invalid_request(api: str, body: object) -> ErrorSpec | None:
    """The provider's own 400 for a body it would not accept at all."""
    anthropic = api == "anthropic"
    if not isinstance(body, dict):
        if anthropic:
            message = "There was an error parsing the body."
        else:
            message = "We could not parse the JSON body of your request."
        return ErrorSpec(400, "invalid_request_error", None, None, message)
    for name in _REQUIRED[api]:
        if name in body:
            continue
        if anthropic:
            return ErrorSpec(400, "invalid_request_error", None, None, f"{name}: Field required")
        message = f"Missing required parameter: '{name}'."
        return ErrorSpec(400, "invalid_request_error", "missing_required_parameter", name, message)
    return None


def _tokens(outcome: Outcome, api: str, body: dict[str, Any]) -> list[str]:
    if outcome.echo:  # the last user message, then the explicit text if any
        return split_tokens(last_user_text(api, body) + (outcome.text or ""))
    if outcome.text is not None:
        return split_tokens(outcome.text)
    return tokens_for(outcome.tokens)


def _as_is(index: int, token: str) -> str:
    return token


def api_key(headers: dict[str, str]) -> str:
    """The request's API key (bearer or ``x-api-key``); "" without one."""
    bearer = headers.get("authorization", "")
    return bearer.removeprefix("Bearer ").strip() or headers.get("x-api-key", "")


async def _send_status(send: Send, outcome: Outcome) -> None:
    status = outcome.status or 200
    if outcome.raw is not None:
        content_type = outcome.content_type or "text/plain; charset=utf-8"
        body = outcome.raw.encode()
    else:
        content_type = outcome.content_type or "application/json"
        body = b"" if outcome.body is None else json.dumps(outcome.body).encode()
    await send_bytes(send, status, body, [("content-type", content_type), *outcome.headers])
