"""`classify`: any failure in, one immutable `ClassifiedError` out; and `with_classification`."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

from chatcore.errors._codes import code_signals
from chatcore.errors._evidence import Evidence, gather
from chatcore.errors._extract import chain_of, safe_getattr
from chatcore.errors._kinds import ErrorKind
from chatcore.errors._messages import (
    REASON_DEADLINE,
    REASON_LONG_WAIT,
    REASON_TLS,
    REASON_WAIT_FOREVER,
    normalize_provider,
    terminal_message,
    terminal_text,
)
from chatcore.errors._patterns import Signal
from chatcore.errors._redact import redact
from chatcore.errors._rules import Verdict, apply_rules, facts_of, fallback_detail, special_case
from chatcore.errors._signals import Transport, provider_in, scan

__all__ = [
    "DEFAULT_RETRY_CEILING",
    "MAX_DETAIL",
    "ClassifiedError",
    "classify",
    "with_classification",
]

# The upstream detail is cut to this many characters (the last one an ellipsis).
MAX_DETAIL = 500
# The longest stated wait (Retry-After, or a delay in the body) a chat waits out;
# the retry policy's default ceiling. A rate limit asking for longer is a usage limit.
DEFAULT_RETRY_CEILING = 600.0


@dataclass(frozen=True, slots=True)
class ClassifiedError:
    """What a failure means: its kind, whether to retry, and what to show."""

    kind: str = ""
    message: str = ""
    detail: str = ""
    provider: str = ""
    retryable: bool = False
    status_code: int = 0
    retry_after: float = 0.0
    chain_broken: bool = False
    # Which special case produced the message ("canceled", "truncated", ...), so
    # that `with_provider` and `retry_message` can rebuild it. Not part of equality.
    reason: str = field(default="", compare=False, repr=False)

    def with_provider(self, provider: str | None) -> ClassifiedError:
        """A copy naming an explicit provider, with the message regenerated for it."""
        copy = dataclasses.replace(self, provider=normalize_provider(provider))
        return dataclasses.replace(copy, message=terminal_message(copy))


_ATTR = "__chatcore_classified__"
# OpenAI "Limit 10000, Used 9000, Requested 25000": one request above the budget.
_LIMIT_REQUESTED = re.compile(r"limit:? ([\d,]+)(?:, used:? [\d,]+)?, requested:? ([\d,]+)")


def classify(
    error: BaseException | str | None,
    *,
    provider: str | None = None,
    retry_ceiling: float = DEFAULT_RETRY_CEILING,
) -> ClassifiedError:
    """Classify any failure into a stable kind with a retry decision; never raises.

    ``retry_ceiling`` is the longest wait a chat accepts: a rate limit whose stated
    wait is longer cannot be waited out and is a usage limit, not retried.
    """
    try:
        return _classify(error, provider, retry_ceiling)
    except Exception:  # the classifier must never be the thing that fails
        hint = normalize_provider(provider)
        return ClassifiedError(
            kind=ErrorKind.GENERIC, message=terminal_text(ErrorKind.GENERIC, hint), provider=hint
        )


def with_classification(error: BaseException | str, classified: ClassifiedError) -> BaseException:
    """Attach a classification (normalised) that a later `classify` returns unchanged."""
    exc = error if isinstance(error, BaseException) else Exception(str(error))
    setattr(exc, _ATTR, _normalize(classified))
    return exc


def _classify(
    error: object, provider: str | None, retry_ceiling: float = DEFAULT_RETRY_CEILING
) -> ClassifiedError:
    if error is None:
        return ClassifiedError()
    chain: list[BaseException] | None = None
    if isinstance(error, BaseException):
        chain = chain_of(error)
        attached = _attached(chain)
        if attached is not None:
            hint = normalize_provider(provider)
            return attached.with_provider(hint) if hint and not attached.provider else attached
    else:
        error = str(error)
        if not error.strip():
            return ClassifiedError()
    found = gather(error, chain)
    signals = scan(found.text)
    if found.codes:
        signals |= code_signals(found.codes)
    verdict = special_case(found, signals) or _by_rules(found, signals)
    if verdict.kind is ErrorKind.RATE_LIMIT and found.retry_after > retry_ceiling:
        verdict = verdict._replace(
            kind=ErrorKind.USAGE_LIMIT, retryable=False, reason=REASON_LONG_WAIT
        )
    chosen = (
        normalize_provider(provider)
        or normalize_provider(found.provider)
        or provider_in(found.text)
        or provider_in(found.url.lower())
        or verdict.default_provider
    )
    detail = _cap(redact(verdict.detail.strip()))
    return ClassifiedError(
        kind=verdict.kind,
        message=terminal_text(
            verdict.kind,
            chosen,
            verdict.reason,
            found.retry_after if verdict.reason == REASON_LONG_WAIT else 0.0,
        ),
        detail=detail,
        provider=chosen,
        retryable=verdict.retryable,
        status_code=found.status,
        retry_after=found.retry_after,
        chain_broken=verdict.chain_broken,
        reason=verdict.reason,
    )


def _attached(chain: list[BaseException]) -> ClassifiedError | None:
    for exc in chain:
        if _ATTR in getattr(exc, "__dict__", ()):  # set by with_classification, never a property
            attached = safe_getattr(exc, _ATTR)
            if isinstance(attached, ClassifiedError):
                return attached
    return None


def _by_rules(found: Evidence, signals: set[str]) -> Verdict:
    if Signal.RATE in signals or Signal.RATE_CODE in signals or found.rule_status == 429:
        over = _LIMIT_REQUESTED.search(found.text)
        if over and _number(over.group(2)) > _number(over.group(1)):
            signals.add(Signal.NEVER_BY_WAITING)
    library_failure = Transport.RETRYABLE in found.transports
    ours = Transport.DEADLINE in found.transports or (
        Transport.BUILTIN_TIMEOUT in found.transports and not library_failure
    )
    facts = facts_of(
        signals, found.rule_status, transport_retryable=library_failure, our_deadline=ours
    )
    kind, retryable = apply_rules(facts)
    reason = ""
    if kind is ErrorKind.TIMEOUT and ours:
        reason = REASON_DEADLINE
    elif kind is ErrorKind.CONFIG and Signal.TLS in signals:
        reason = REASON_TLS
    elif kind is ErrorKind.RATE_LIMIT and not retryable:
        reason = REASON_WAIT_FOREVER
    # No raw-text fallback for auth: it can carry credentials.
    detail = found.structured_detail if kind is ErrorKind.AUTH else fallback_detail(found)
    return Verdict(kind, retryable, detail, reason)


def _number(text: str) -> int:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        return 0


def _normalize(classified: ClassifiedError) -> ClassifiedError:
    """Normalise a classification made outside `classify` (trimmed, capped, redacted, in range)."""
    retry_after = classified.retry_after
    if not isinstance(retry_after, int | float) or not math.isfinite(retry_after):
        retry_after = 0.0
    kind = str(classified.kind).strip()
    known = kind in ErrorKind._value2member_map_
    result = dataclasses.replace(
        classified,
        kind=ErrorKind(kind) if known else (kind or ErrorKind.GENERIC),
        provider=normalize_provider(classified.provider),
        detail=_cap(redact(classified.detail.strip())),
        message=redact(classified.message.strip()),
        retry_after=max(0.0, float(retry_after)),
        status_code=max(0, int(classified.status_code)),
    )
    if not result.message:
        result = dataclasses.replace(result, message=terminal_message(result))
    return result


def _cap(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
