"""Structured provider errors found in a chain: status, headers, body, provider, message.

Recognised shapes: our `ProviderError`; the `openai` / `anthropic` SDK errors
(`APIStatusError` and the in-stream `APIError`, which carry `body`); httpx and
httpx2 `HTTPStatusError`; and, by duck typing, botocore's `ClientError`
(`response["Error"]`) and errors with an integer `status_code`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatcore.errors.chain import safe_getattr, safe_str
from chatcore.errors.exceptions import ProviderError

__all__ = ["Structured", "structured_of"]

_SDKS = frozenset({"openai", "anthropic"})
_HTTPX = frozenset({"httpx", "httpx2"})
_MISSING = object()


@dataclass(slots=True)
class Structured:
    """The facts a structured provider error carries."""

    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: object = None
    message: str = ""
    url: str = ""


def structured_of(exc: BaseException) -> Structured | None:
    """The structured facts of one exception, or None if it carries none."""
    if isinstance(exc, ProviderError):
        return Structured(
            status=_status(exc.status_code),
            headers=_pairs(exc.headers),
            body=exc.body,
            message=exc.message or safe_str(exc),
        )
    root = type(exc).__module__.partition(".")[0]
    if root in _SDKS and safe_getattr(exc, "body", _MISSING) is not _MISSING:
        response = safe_getattr(exc, "response", None)
        body = safe_getattr(exc, "body", None)
        if body is None and response is not None:
            body = _content(response)
        return Structured(
            status=_status(safe_getattr(exc, "status_code", None)),
            headers=_pairs(safe_getattr(response, "headers", None)),
            body=body,
            message=_strsafe_getattr(exc, "message") or safe_str(exc),
            url=_url(exc),
        )
    if root in _HTTPX and type(exc).__name__ == "HTTPStatusError":
        response = safe_getattr(exc, "response", None)
        return Structured(
            status=_status(safe_getattr(response, "status_code", None)),
            headers=_pairs(safe_getattr(response, "headers", None)),
            body=_content(response),
            message=safe_str(exc),
            url=_url(exc),
        )
    return _duck_typed(exc)


def _duck_typed(exc: BaseException) -> Structured | None:
    response = safe_getattr(exc, "response", None)
    if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
        meta = response.get("ResponseMetadata")
        meta = meta if isinstance(meta, Mapping) else {}
        return Structured(
            status=_status(meta.get("HTTPStatusCode")),
            headers=_pairs(meta.get("HTTPHeaders")),
            body=dict(response),
            message=safe_str(exc),
        )
    status = _status(safe_getattr(exc, "status_code", None))
    if not status:
        return None
    return Structured(
        status=status,
        headers=_pairs(
            safe_getattr(exc, "headers", None) or safe_getattr(response, "headers", None)
        ),
        body=safe_getattr(exc, "body", None),
        message=_strsafe_getattr(exc, "message") or safe_str(exc),
    )


def _status(value: object) -> int:
    # Only error statuses count: an in-stream error event arrives on a 200 response.
    if isinstance(value, bool):
        return 0
    try:
        status = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return 0
    return status if 400 <= status <= 599 else 0


def _pairs(headers: object) -> list[tuple[str, str]]:
    if headers is None:
        return []
    try:
        items: Iterable[Any] = headers.items() if hasattr(headers, "items") else headers  # type: ignore[assignment]
        return [(str(k), str(v)) for k, v in items][:200]
    except Exception:
        return []


def _content(response: object) -> object:
    if response is None:
        return None
    try:
        return response.content  # type: ignore[attr-defined]
    except Exception:  # a streamed response that was never read
        return None


def _strsafe_getattr(exc: BaseException, name: str) -> str:
    value = safe_getattr(exc, name, None)
    return value if isinstance(value, str) else ""


def _url(exc: BaseException) -> str:
    try:
        request = safe_getattr(exc, "request", None)
        return str(safe_getattr(request, "url", "") or "")
    except Exception:
        return ""
