"""The `ChatError` and `ChatRetry` JSON shapes (SPEC §6), built from a classification."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chatcore.errors.kinds import ErrorKind
from chatcore.errors.messages import retry_message, terminal_message

if TYPE_CHECKING:
    from chatcore.errors.classified import ClassifiedError

__all__ = ["error_payload", "isoformat_utc", "retry_payload"]


def error_payload(classified: ClassifiedError) -> dict[str, Any]:
    """`{message, kind, provider, retryable, status_code, detail}`; empty optionals omitted."""
    payload: dict[str, Any] = {
        "message": classified.message or terminal_message(classified),
        "kind": str(classified.kind or ErrorKind.GENERIC),
        "retryable": classified.retryable,
    }
    if classified.provider:
        payload["provider"] = classified.provider
    if classified.status_code:
        payload["status_code"] = classified.status_code
    if classified.detail:
        payload["detail"] = classified.detail
    return payload


def retry_payload(
    classified: ClassifiedError, attempt: int, delay_seconds: float, now: datetime
) -> dict[str, Any]:
    """`{attempt, delay_ms, retrying_at, error, kind, provider, status_code}`."""
    delay = delay_seconds if math.isfinite(delay_seconds) and delay_seconds > 0 else 0.0
    delay_ms = round(delay * 1000)
    payload: dict[str, Any] = {
        "attempt": attempt,
        "delay_ms": delay_ms,
        "retrying_at": isoformat_utc(now + timedelta(milliseconds=delay_ms)),
        "error": retry_message(classified),
        "kind": str(classified.kind or ErrorKind.GENERIC),
    }
    if classified.provider:
        payload["provider"] = classified.provider
    if classified.status_code:
        payload["status_code"] = classified.status_code
    return payload


def isoformat_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with millisecond precision and a `Z` suffix; naive means UTC."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")
