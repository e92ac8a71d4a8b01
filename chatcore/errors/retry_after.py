"""Retry-After hints: from response headers, or failing that from the error body."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime

__all__ = ["retry_after_from_headers", "retry_after_from_text"]

# Longer than this is not a hint but garbage (or an attack on our scheduler).
_MAX_SECONDS = 366 * 24 * 3600.0


def retry_after_from_headers(
    headers: Iterable[tuple[str, str]], *, now: Callable[[], float] = time.time
) -> float:
    """Seconds to wait per `retry-after-ms` (wins) or `retry-after`; 0 when no valid hint."""
    millis = ""
    plain = ""
    for name, value in headers:
        key = str(name).strip().lower()
        if key == "retry-after-ms" and not millis:
            millis = str(value)
        elif key == "retry-after" and not plain:
            plain = str(value)
    from_millis = _positive(_float(millis) / 1000.0) if millis else 0.0
    if from_millis:
        return from_millis
    if not plain:
        return 0.0
    seconds = _float(plain)
    if not math.isnan(seconds):
        return _positive(seconds)
    return _from_http_date(plain, now())


def _from_http_date(value: str, now: float) -> float:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return 0.0
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as UTC
        return 0.0
    try:
        return _positive(moment.timestamp() - now)
    except (OverflowError, OSError, ValueError):
        return 0.0


def _float(value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def _positive(seconds: float) -> float:
    if math.isnan(seconds) or seconds <= 0:
        return 0.0
    return min(seconds, _MAX_SECONDS)


# Body phrasings, lower-cased: OpenAI "please try again in 6m0s" / "in 20ms",
# Azure "please retry after 6 seconds", Gemini "please retry in 23.9s" and its
# RetryInfo `"retrydelay": "23s"`, generic "wait 5 seconds".
_BODY_HINT = re.compile(
    r"(?:try again|retry|retrying) (?:in|after) (?:about |approximately )?"
    r"(?P<dur>(?:\d+(?:\.\d+)?(?:ms|h|m|s))+\b|\d+(?:\.\d+)?\s*"
    r"(?:milliseconds?|seconds?|secs?|minutes?|mins?|hours?)\b)"
    r"|retry[_ ]?delay\W{0,4}(?P<delay>\d+(?:\.\d+)?)s"
    r"|wait (?:for )?(?P<wait>\d+(?:\.\d+)?)\s*(?:seconds?|secs?|s\b)"
)
_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_WORDS = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


def retry_after_from_text(text: str) -> float:
    """Seconds of the first retry delay a lower-cased error text states; 0 when none."""
    found = _BODY_HINT.search(text)
    if found is None:
        return 0.0
    if found.group("delay"):
        return _positive(float(found.group("delay")))
    if found.group("wait"):
        return _positive(float(found.group("wait")))
    duration = found.group("dur")
    words = _WORDS.fullmatch(duration)
    if words and words.group(2) not in _UNIT_SECONDS:
        unit = words.group(2).rstrip("s") or "s"
        return _positive(float(words.group(1)) * _UNIT_SECONDS.get(unit, 0.0))
    total = sum(float(n) * _UNIT_SECONDS[u] for n, u in _GO_PART.findall(duration))
    return _positive(total)
