"""Classification entry points (first version: text rules only; structured signals follow)."""

from __future__ import annotations

import asyncio
import dataclasses
import re

from chatcore.errors.classified import ClassifiedError
from chatcore.errors.kinds import ErrorKind
from chatcore.errors.messages import REASON_CANCELED, terminal_message
from chatcore.errors.providers import detect_provider, normalize_provider
from chatcore.errors.redact import redact

__all__ = ["classify", "with_classification"]

_ATTR = "__chatcore_classified__"

_RULES: tuple[tuple[re.Pattern[str], ErrorKind, bool], ...] = tuple(
    (re.compile(p), k, r)
    for p, k, r in (
        (r"\b529\b|overloaded", ErrorKind.OVERLOADED, True),
        (r"insufficient_quota|quota|billing|payment required", ErrorKind.USAGE_LIMIT, False),
        (r"\b401\b|authentication|unauthorized|invalid.api.key", ErrorKind.AUTH, False),
        (r"\b403\b|forbidden", ErrorKind.AUTH, False),
        (r"\b429\b|rate.limit|too many requests", ErrorKind.RATE_LIMIT, True),
        (r"provider_disabled", ErrorKind.PROVIDER_DISABLED, False),
        (
            r"timeout|timed out|unavailable|connection reset|eof|\b50[234]\b",
            ErrorKind.TIMEOUT,
            True,
        ),
        (r"model not found|model_not_found|invalid model", ErrorKind.CONFIG, False),
        (r"\b500\b|server error", ErrorKind.GENERIC, True),
    )
)


def classify(error: BaseException | str | None, *, provider: str | None = None) -> ClassifiedError:
    """Classify any failure into a stable kind; never raises."""
    if error is None or (isinstance(error, str) and not error.strip()):
        return ClassifiedError()
    if isinstance(error, BaseException):
        attached = getattr(error, _ATTR, None)
        if isinstance(attached, ClassifiedError):
            return attached
        if isinstance(error, asyncio.CancelledError):
            result = ClassifiedError(
                kind=ErrorKind.GENERIC,
                provider=normalize_provider(provider),
                reason=REASON_CANCELED,
            )
            return dataclasses.replace(result, message=terminal_message(result))
    text = str(error).strip()
    lowered = text.lower()
    kind, retryable = ErrorKind.GENERIC, False
    for pattern, rule_kind, rule_retryable in _RULES:
        if pattern.search(lowered):
            kind, retryable = rule_kind, rule_retryable
            break
    result = ClassifiedError(
        kind=kind,
        detail=redact(text)[:500],
        provider=normalize_provider(provider) or detect_provider(lowered),
        retryable=retryable,
    )
    return dataclasses.replace(result, message=terminal_message(result))


def with_classification(error: BaseException | str, classified: ClassifiedError) -> BaseException:
    """Attach a classification that a later `classify` returns unchanged."""
    exc = error if isinstance(error, BaseException) else Exception(str(error))
    setattr(exc, _ATTR, classified)
    return exc
