"""The one boundary where SDK and transport failures become errors `chatcore.errors` classifies.

Every adapter funnels what its SDK raises through `convert_error` and raises the
result ``from`` the original, so the classifier sees our structured error first
and can still walk down to the SDK and httpx2 exceptions underneath. Errors the
adapters detect themselves (a truncated stream, an in-stream error event, a
router's choice-level error, a safety stop) are built here too, so their wording
lives in one place. An error that arrives inside a 200 (an SSE error event, a
choice whose ``error`` object carries the upstream's own code) keeps the 200 it
came with as its ``status_code``; the classifier takes the kind from the body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anthropic
import httpx2
import openai

from chatcore.errors import ProviderError, ProviderTransportReset
from chatcore.providers.errors import StreamClosedEarly

__all__ = [
    "SDK_ERRORS",
    "choice_error",
    "closed_early",
    "content_filtered",
    "convert_error",
    "in_stream_error",
]

# The status of a response whose stream already started: errors after that point
# arrive inside it.
_STREAM_STATUS = 200

# What an adapter's `except` converts: both SDKs' errors (either SDK may surface the
# other's transport errors through httpx2), raw httpx2 errors (the Anthropic SDK does
# not wrap failures while reading a stream) and undecodable SSE data.
SDK_ERRORS: tuple[type[Exception], ...] = (
    openai.APIError,
    anthropic.APIError,
    httpx2.HTTPError,
    json.JSONDecodeError,
)

# A plain-text error body longer than this is a page, not a message worth quoting.
_MAX_PLAIN = 300


def closed_early(provider: str, label: str, terminal: str) -> StreamClosedEarly:
    """E.g. "anthropic stream closed before message_stop": classified as a retryable timeout."""
    return StreamClosedEarly(f"{label} stream closed before {terminal}", provider=provider)


def in_stream_error(
    provider: str, event: Mapping[str, Any], *, label: str, status: int = _STREAM_STATUS
) -> ProviderError:
    """A `ProviderError` for an error that arrived inside a 200 stream.

    ``event`` is the provider's own JSON: an Anthropic ``{"type": "error", "error":
    {...}}`` event, an OpenAI ``{"error": {...}}`` object, or a bare OpenAI error
    object (a Responses ``error`` event, ``response.failed``'s ``response.error``).
    The body keeps the provider's shape so the classifier reads type, code and
    message from it; the status is the one received (a code the error object
    states, as vLLM and OpenRouter do, is the upstream's and stays in the body).
    """
    nested = event.get("error")
    error: Mapping[str, Any] = nested if isinstance(nested, Mapping) else event
    body: Mapping[str, Any] = event if isinstance(nested, Mapping) else {"error": dict(event)}
    message = error.get("message")
    text = message if isinstance(message, str) and message else "an error event without a message"
    return ProviderError(
        f"{label} sent an error event mid-stream: {text}",
        status_code=status,
        body=json.dumps(body),
        provider=provider,
    )


def choice_error(provider: str, chunk: Mapping[str, Any], *, label: str) -> ProviderError:
    """A router's choice that failed inside a 200 stream (OpenRouter and the like).

    The choice carries ``finish_reason: "error"`` and usually an ``error`` object
    with the upstream's own code and message; the whole chunk is the body.
    """
    choices = chunk.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    error = choice.get("error") if isinstance(choice, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    text = (
        message
        if isinstance(message, str) and message
        else "the upstream failed (finish_reason: error)"
    )
    return ProviderError(
        f"{label} stream ended with an error in its choice: {text}",
        status_code=_STREAM_STATUS,
        body=json.dumps(chunk),
        provider=provider,
    )


def content_filtered(
    provider: str, label: str, reason: str, explanation: str | None = None
) -> ProviderError:
    """The provider's safety system stopped the answer midway (a stop reason, not an error).

    There is no error body to quote, so the text states the provider's stop
    reason (and its explanation, when it gives one) in words the classifier
    reads as a content-filter signal.
    """
    text = f"{label} stream stopped by the provider's safety system ({reason})"
    if explanation:
        text = f"{text}: {explanation}"
    return ProviderError(text, status_code=_STREAM_STATUS, provider=provider)


def _body_text(response: httpx2.Response) -> str:
    """The provider's error message from a JSON body, or a short plain-text body; else ""."""
    try:
        raw = response.text.strip()
    except httpx2.ResponseNotRead:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        plain = raw[:1] != "<" and len(raw) <= _MAX_PLAIN
        return " ".join(raw.split()) if plain else ""
    error = data.get("error", data) if isinstance(data, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else error
    return message if isinstance(message, str) else ""


def _status_error(
    exc: openai.APIStatusError | anthropic.APIStatusError, provider: str, label: str
) -> ProviderError:
    """An HTTP error response, with its real status, headers and body."""
    response = exc.response
    try:
        body: str | None = response.text
    except httpx2.ResponseNotRead:
        body = json.dumps(exc.body) if exc.body is not None else None
    said = _body_text(response)
    status = response.status_code
    return ProviderError(
        f"{label} returned HTTP {status} - {said}" if said else f"{label} returned HTTP {status}",
        status_code=status,
        headers=dict(response.headers.items()),
        body=body,
        provider=provider,
    )


def convert_error(exc: Exception, *, provider: str, label: str, streaming: bool) -> Exception:
    """The classifiable error for what an SDK raised; the caller raises it ``from exc``.

    ``streaming`` is True once the response headers arrived: a transport failure
    after that point means the provider dropped (or stalled) a live stream.
    """
    if isinstance(exc, openai.APIStatusError | anthropic.APIStatusError):
        if exc.response.status_code >= 400:
            return _status_error(exc, provider, label)
        # Anthropic raises an `error` SSE event as a status error of the 200 response.
        event = exc.body if isinstance(exc.body, Mapping) else {"error": {"message": str(exc)}}
        return in_stream_error(provider, event, label=label, status=exc.response.status_code)
    if isinstance(
        exc, openai.APIConnectionError | anthropic.APIConnectionError | httpx2.TransportError
    ):
        if streaming:
            return ProviderTransportReset(f"{label} stream dropped mid-response: {_describe(exc)}")
        return ProviderError(f"{label} request failed: {_describe(exc)}", provider=provider)
    if isinstance(exc, openai.APIError):
        # The OpenAI SDK raises an `{"error": ...}` stream object as a bare APIError whose
        # body is the inner value: an object, or a plain string (Ollama's `{"error": "..."}`).
        body = exc.body
        text = body if isinstance(body, str) and body else exc.message
        inner = body if isinstance(body, Mapping) else {"message": text}
        return in_stream_error(provider, {"error": inner}, label=label)
    if isinstance(exc, json.JSONDecodeError):
        return ProviderError(f"{label} sent a malformed stream event: {exc}", provider=provider)
    return ProviderError(f"{label} request failed: {_describe(exc)}", provider=provider)


def _describe(exc: BaseException) -> str:
    """The SDK's message plus the transport error beneath it ("Connection error." says little)."""
    parts = [str(exc) or type(exc).__name__]
    cause = exc.__cause__
    if cause is not None and str(cause) not in parts:
        parts.append(str(cause) or type(cause).__name__)
    return ": ".join(parts)
