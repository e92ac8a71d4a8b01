"""Error presets in each provider's own status, body shape and wording."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from chatcore.fakeprovider.outcomes import Outcome

__all__ = ["ErrorSpec", "error_body", "error_bytes", "resolve_error", "retry_headers"]

# The texts are the providers' own error messages (facts about their APIs), so
# whatever reads them downstream (the classifier) sees what production sends.
_OPENAI: dict[str, tuple[int, str | None, str | None, str | None, str]] = {
    # preset: (status, error.type, error.code, error.param, message)
    "rate_limit": (
        429,
        "requests",
        "rate_limit_exceeded",
        None,
        "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1.",
    ),
    "overloaded": (529, "server_error", None, None, "The server is overloaded or not ready yet."),
    "provider_disabled": (
        503,
        "provider_disabled",
        "provider_disabled",
        None,
        "The provider has been disabled by an administrator.",
    ),
    "insufficient_quota": (
        429,
        "insufficient_quota",
        "insufficient_quota",
        None,
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    "auth": (
        401,
        "invalid_request_error",
        "invalid_api_key",
        None,
        "Incorrect API key provided: {key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    "model_not_found": (
        404,
        "invalid_request_error",
        "model_not_found",
        None,
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    "context_length": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "messages",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 131072 tokens. Please reduce the length of the messages.",
    ),
    "content_filter": (
        400,
        "invalid_request_error",
        "content_filter",
        "prompt",
        "The response was filtered due to the prompt triggering OpenAI's content management "
        "policy. Please modify your prompt and retry.",
    ),
    "server_error": (
        500,
        "server_error",
        None,
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    "unavailable": (503, "server_error", None, None, "Service Unavailable"),
    "previous_response_not_found": (
        400,
        "invalid_request_error",
        "previous_response_not_found",
        "previous_response_id",
        "Previous response with id '{previous}' not found.",
    ),
}
# The Responses API words context errors differently from Chat Completions.
_RESPONSES_OVERRIDES: dict[str, tuple[int, str | None, str | None, str | None, str]] = {
    "context_length": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "input",
        "Your input exceeds the context window of this model. Please adjust your input and "
        "try again.",
    ),
}
_ANTHROPIC: dict[str, tuple[int, str, str]] = {
    # preset: (status, error.type, message)
    "rate_limit": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute.",
    ),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "provider_disabled": (
        503,
        "provider_disabled",
        "The provider has been disabled by an administrator.",
    ),
    "insufficient_quota": (
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits.",
    ),
    "auth": (401, "authentication_error", "invalid x-api-key"),
    "model_not_found": (404, "not_found_error", "model: {model}"),
    "context_length": (
        400,
        "invalid_request_error",
        "prompt is too long: 208310 tokens > 200000 maximum",
    ),
    "content_filter": (400, "invalid_request_error", "Output blocked by content filtering policy"),
    "server_error": (500, "api_error", "Internal server error"),
    "unavailable": (503, "api_error", "Service Unavailable"),
    "previous_response_not_found": (
        400,
        "invalid_request_error",
        "Previous response with id '{previous}' not found.",
    ),
}
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """A provider error resolved for one endpoint: status plus the fields of its body."""

    status: int
    type: str | None
    code: str | None
    param: str | None
    message: str
    html: str | None = None


def resolve_error(
    preset: str,
    *,
    api: str,
    model: str,
    api_key: str = "",
    previous_response_id: str | None = None,
    message: str | None = None,
    status: int | None = None,
) -> ErrorSpec:
    """The error ``preset`` as the provider behind ``api`` (chat/responses/anthropic) sends it."""
    if preset == "bad_gateway":
        # Proxies in front of providers answer with HTML, not the provider's JSON.
        return ErrorSpec(status or 502, None, None, None, "Bad Gateway", html=_BAD_GATEWAY_HTML)
    fill = {
        "model": model,
        "key": _mask_key(api_key),
        "previous": previous_response_id or "resp_unknown",
    }
    if api == "anthropic":
        code, kind, text = _ANTHROPIC[preset]
        return ErrorSpec(status or code, kind, None, None, message or text.format(**fill))
    table = (
        _RESPONSES_OVERRIDES if api == "responses" and preset in _RESPONSES_OVERRIDES else _OPENAI
    )
    code, error_type, err_code, param, text = table[preset]
    return ErrorSpec(status or code, error_type, err_code, param, message or text.format(**fill))


def error_body(spec: ErrorSpec, *, api: str, request_id: str) -> dict[str, Any]:
    """The JSON error body in the provider's shape."""
    if api == "anthropic":
        return {
            "type": "error",
            "error": {"type": spec.type, "message": spec.message},
            "request_id": request_id,
        }
    return {
        "error": {
            "message": spec.message,
            "type": spec.type,
            "param": spec.param,
            "code": spec.code,
        }
    }


def error_bytes(spec: ErrorSpec, *, api: str, request_id: str) -> tuple[bytes, str]:
    """The response body and its content type."""
    if spec.html is not None:
        return spec.html.encode(), "text/html"
    body = json.dumps(error_body(spec, api=api, request_id=request_id)).encode()
    return body, "application/json"


def retry_headers(outcome: Outcome, *, now: float) -> list[tuple[str, str]]:
    """``Retry-After`` / ``retry-after-ms`` headers asked for by the outcome."""
    headers: list[tuple[str, str]] = []
    if outcome.retry_after is not None:
        headers.append(("retry-after", _number(outcome.retry_after)))
    if outcome.retry_after_ms is not None:
        headers.append(("retry-after-ms", _number(outcome.retry_after_ms)))
    if outcome.retry_after_date is not None:
        # HTTP-dates have whole seconds: round up so the client never waits less.
        when = math.ceil(now + outcome.retry_after_date)
        headers.append(("retry-after", formatdate(when, usegmt=True)))
    return headers


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _mask_key(key: str) -> str:
    if len(key) < 8:
        return "sk-fake"
    return f"{key[:3]}{'*' * 12}{key[-4:]}"
