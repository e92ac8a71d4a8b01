"""The one boundary where SDK and transport failures become errors `chatcore.errors` classifies.

Every adapter funnels what its SDK raises through `convert_error` and raises the
result ``from`` the original, so the classifier sees our structured error first
and can still walk down to the SDK and httpx2 exceptions underneath.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anthropic
import httpx2
import openai

from chatcore.errors import ProviderError, ProviderTransportReset

__all__ = ["StreamClosedEarly", "content_filtered", "convert_error", "in_stream_error"]


class StreamClosedEarly(Exception):
    """The provider's stream ended cleanly before its terminal event (a truncated turn)."""

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider


# In-stream error events carry no HTTP status; these are the statuses each provider
# documents for the same error type, so the classifier applies its status rules
# (529 overloaded, 429 rate limit, ...) exactly as for an HTTP error response.
_ANTHROPIC_TYPE_STATUS: Mapping[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_OPENAI_CODE_STATUS: Mapping[str, int] = {
    "invalid_request_error": 400,
    "invalid_prompt": 400,
    "context_length_exceeded": 400,
    "content_filter": 400,
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_error": 403,
    "model_not_found": 404,
    "not_found_error": 404,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "provider_disabled": 503,
    "service_unavailable": 503,
    "overloaded": 529,
}


def _status_of(error: Mapping[str, Any], table: Mapping[str, int]) -> int | None:
    """The HTTP status an in-stream error object stands for, when it says or implies one."""
    for key in ("status", "code"):
        value = error.get(key)
        # OpenAI-compatible servers (vLLM, OpenRouter) put the HTTP status in `code`.
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
        if isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
            return int(value)
    for key in ("code", "type"):
        value = error.get(key)
        if isinstance(value, str) and value in table:
            return table[value]
    return None


def in_stream_error(provider: str, event: Mapping[str, Any], *, label: str) -> ProviderError:
    """A `ProviderError` for an error that arrived inside a 200 stream.

    ``event`` is the provider's own JSON: an Anthropic ``{"type": "error", "error":
    {...}}`` event, an OpenAI ``{"error": {...}}`` object, or a bare OpenAI error
    object (Responses ``error`` event, ``response.failed``'s ``response.error``).
    The body keeps the provider's shape so the classifier reads type, code and
    message from it.
    """
    nested = event.get("error")
    error: Mapping[str, Any] = nested if isinstance(nested, Mapping) else event
    body: Mapping[str, Any] = event if isinstance(nested, Mapping) else {"error": dict(event)}
    table = _ANTHROPIC_TYPE_STATUS if provider == "anthropic" else _OPENAI_CODE_STATUS
    message = error.get("message")
    text = message if isinstance(message, str) and message else "error event without a message"
    return ProviderError(
        f"{label} sent an error event mid-stream: {text}",
        status_code=_status_of(error, table),
        body=json.dumps(body),
        provider=provider,
    )


def content_filtered(
    provider: str, label: str, reason: str, explanation: str | None = None
) -> ProviderError:
    """The provider's safety system stopped the answer midway (a stop reason, not an HTTP error).

    There is no provider error body to quote, so the text names the signal the
    classifier looks for and the provider's stop reason, plus its explanation if any.
    """
    text = f"{label} response stopped by the provider's safety system (content_filter, {reason})"
    if explanation:
        text = f"{text}: {explanation}"
    return ProviderError(text, provider=provider)


def _status_error(
    exc: openai.APIStatusError | anthropic.APIStatusError, provider: str
) -> ProviderError:
    """An HTTP error response, with its real status, headers and body."""
    response = exc.response
    try:
        body: str | None = response.text
    except httpx2.ResponseNotRead:
        body = json.dumps(exc.body) if exc.body is not None else None
    return ProviderError(
        str(exc),
        status_code=response.status_code,
        headers=dict(response.headers.items()),
        body=body,
        provider=provider,
    )


def convert_error(exc: Exception, *, provider: str, label: str, streaming: bool) -> Exception:
    """The classifiable error for what an SDK raised; raise it ``from exc``.

    ``streaming`` is True once the response headers arrived: a transport failure
    after that point means the provider dropped a live stream.
    """
    if isinstance(exc, openai.APIStatusError | anthropic.APIStatusError):
        if exc.response.status_code >= 400:
            return _status_error(exc, provider)
        # Anthropic raises an `error` SSE event as a status error of the 200 response.
        event = exc.body if isinstance(exc.body, Mapping) else {"error": {"message": str(exc)}}
        return in_stream_error(provider, event, label=label)
    if isinstance(
        exc, openai.APIConnectionError | anthropic.APIConnectionError | httpx2.TransportError
    ):
        if streaming:
            return ProviderTransportReset(f"{label} stream dropped mid-response: {_describe(exc)}")
        return ProviderError(f"{label} request failed: {_describe(exc)}", provider=provider)
    if isinstance(exc, openai.APIError):
        # The OpenAI SDK raises an `{"error": {...}}` stream object as a bare APIError.
        inner = exc.body if isinstance(exc.body, Mapping) else {"message": exc.message}
        return in_stream_error(provider, {"error": inner}, label=label)
    if isinstance(exc, json.JSONDecodeError):
        return ProviderError(f"{label} sent a malformed stream event: {exc}", provider=provider)
    return ProviderError(f"{label} request failed: {_describe(exc)}", provider=provider)


def _describe(exc: BaseException) -> str:
    """The SDK's message plus the transport error beneath it ("Connection error." says little)."""
    parts = [str(exc) or type(exc).__name__]
    cause = exc.__cause__
    if cause is not None:
        parts.append(str(cause) or type(cause).__name__)
    return ": ".join(parts)
