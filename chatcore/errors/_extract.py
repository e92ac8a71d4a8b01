"""What one failure carries: its exception chain, structured provider facts, Retry-After.

The chain is walked like Go's `errors.As` (cause, context and group members).
Structured provider errors found in it are: our `ProviderError`; the `openai` /
`anthropic` SDK errors (`APIStatusError` and the in-stream `APIError`, which
carry `body`); httpx and httpx2 `HTTPStatusError`; and, by duck typing,
botocore's `ClientError` (`response["Error"]`) and errors with an integer
`status_code`. Retry-After hints come from the response headers or, failing
that, from the error text.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from chatcore.errors._exceptions import ProviderError

__all__ = [
    "MAX_CHAIN",
    "Structured",
    "chain_of",
    "header_facts",
    "is_http_status_error",
    "retry_after_from_headers",
    "retry_after_from_text",
    "safe_getattr",
    "safe_str",
    "structured_of",
    "walk",
]

# A chain longer than this is pathological (or cyclic through a custom type);
# the first exceptions carry the signals that matter.
MAX_CHAIN = 64


def walk(error: BaseException) -> Iterator[BaseException]:
    """Each exception of the chain once, outermost first, depth-first.

    The order is: the error, its `__cause__` chain, its group members, then the
    `__context__` (an implicit "during handling of ..." link, least specific).
    """
    return iter(chain_of(error))


def chain_of(error: BaseException) -> list[BaseException]:
    """`walk` as a list (built in one loop: this runs for every classification)."""
    # The usual chain is a single line (each exception has one successor: its cause,
    # or the context it was raised in): followed without the stack and the set.
    chain = [error]
    exc = error
    while len(chain) < MAX_CHAIN:
        cause, context = exc.__cause__, exc.__context__
        if isinstance(exc, BaseExceptionGroup) or (
            cause is not None and context is not None and cause is not context
        ):
            return _branching_chain(error)
        following = context if cause is None else cause
        if following is None:
            return chain
        for seen in chain:
            if seen is following:
                return chain
        chain.append(following)
        exc = following
    return chain


def _branching_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack and len(chain) < MAX_CHAIN:
        exc = stack.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        chain.append(exc)
        # Pushed in reverse so that the cause is visited before the context. Python
        # itself keeps __cause__ and __context__ to exceptions or None.
        context = exc.__context__
        if context is not None:
            stack.append(context)
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(m for m in reversed(exc.exceptions) if isinstance(m, BaseException))
        cause = exc.__cause__
        if cause is not None:
            stack.append(cause)
    return chain


def safe_str(value: object) -> str:
    """`str(value)`, or "" when a custom `__str__` misbehaves."""
    try:
        text = str(value)
    except Exception:
        return ""
    return text if isinstance(text, str) else ""


def safe_getattr(obj: object, name: str, default: object = None) -> Any:
    """`getattr`, or `default` when a property raises anything at all."""
    try:
        return getattr(obj, name, default)
    except Exception:
        return default


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


def is_http_status_error(exc: BaseException) -> bool:
    """Whether ``exc`` is httpx's (or httpx2's) ``HTTPStatusError``."""
    klass = type(exc)
    return klass.__name__ == "HTTPStatusError" and klass.__module__.partition(".")[0] in _HTTPX


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
    # The status as received, a 200 included: an error inside a 200 body or stream
    # keeps the status that really came back (its kind comes from the body).
    if isinstance(value, bool):
        return 0
    try:
        status = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return 0
    return status if 100 <= status <= 599 else 0


def _pairs(headers: object) -> list[tuple[str, str]]:
    if not headers:
        return []
    if type(headers) is dict:  # ProviderError's own: already pairs (converted when read)
        return list(headers.items())[:200]
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


# Longer than this is not a hint but garbage (or an attack on our scheduler).
_MAX_SECONDS = 366 * 24 * 3600.0


def retry_after_from_headers(
    headers: Iterable[tuple[str, str]], *, now: Callable[[], float] = time.time
) -> float:
    """Seconds to wait per `retry-after-ms` (wins) or `retry-after`; 0 when no valid hint."""
    return header_facts(headers, now=now)[0]


def header_facts(
    headers: Iterable[tuple[str, str]], *, now: Callable[[], float] = time.time
) -> tuple[float, list[str]]:
    """(Retry-After seconds, error type names) of response headers, in one pass.

    AWS names the exception in ``x-amzn-errortype`` ("ThrottlingException:http://…").
    """
    millis = ""
    plain = ""
    error_types: list[str] = []
    for name, value in headers:
        key = name.lower() if type(name) is str else str(name).strip().lower()
        if not key.startswith(("retry-after", "x-amzn-errortype")):
            continue
        if key == "retry-after-ms" and not millis:
            millis = str(value)
        elif key == "retry-after" and not plain:
            plain = str(value)
        elif key == "x-amzn-errortype":
            error_types.append(str(value))
    return _retry_after(millis, plain, now), error_types


def _retry_after(millis: str, plain: str, now: Callable[[], float]) -> float:
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
