"""`classify`: any failure in, one `ClassifiedError` out; and `with_classification`."""

from __future__ import annotations

import dataclasses
import math
import re

from chatcore.errors.chain import walk
from chatcore.errors.classified import ClassifiedError
from chatcore.errors.evidence import Evidence, gather
from chatcore.errors.kinds import ErrorKind
from chatcore.errors.messages import (
    REASON_CANCELED,
    REASON_CHAIN_BROKEN,
    REASON_CONTINUITY,
    REASON_DEADLINE,
    REASON_TRUNCATED,
    REASON_WAIT_FOREVER,
    terminal_message,
)
from chatcore.errors.patterns import Signal
from chatcore.errors.providers import detect_provider, normalize_provider
from chatcore.errors.redact import redact
from chatcore.errors.rules import Facts, apply_rules
from chatcore.errors.signals import code_signals, scan
from chatcore.errors.transport import Transport, h2_reset_retryable

__all__ = ["classify", "with_classification"]

_ATTR = "__chatcore_classified__"
MAX_DETAIL = 500

_CONTINUITY_DETAILS = (
    (
        "no tool output found for function call",
        "OpenAI Responses continuity error: no tool output found for function call.",
    ),
    (
        "without its required",
        "OpenAI Responses continuity error: an item was provided without its required "
        "'reasoning' item.",
    ),
)
# The RST_STREAM code in Go's "stream error: stream ID 3; INTERNAL_ERROR" and in
# h2's "<StreamReset stream_id:1, error_code:ErrorCodes.CANCEL, remote_reset:True>".
_H2_CODE = re.compile(
    r"stream error: stream id \d+; ([a-z_0-9]+)"
    r"|streamreset stream_id:\d+, error_code:(?:errorcodes\.)?([a-z_0-9]+)"
    r"|rst_stream\W{0,30}?(?:code\W{0,3})?([a-z_]+_error|no_error|refused_stream|cancel"
    r"|enhance_your_calm|\d+)"
)
# OpenAI "Limit 10000, Used 9000, Requested 25000": one request above the budget.
_LIMIT_REQUESTED = re.compile(r"limit:? ([\d,]+)(?:, used:? [\d,]+)?, requested:? ([\d,]+)")
_FOLD = re.compile(r"\s+")


def classify(error: BaseException | str | None, *, provider: str | None = None) -> ClassifiedError:
    """Classify any failure into a stable kind with a retry decision; never raises."""
    try:
        return _classify(error, provider)
    except Exception:  # the classifier must never be the thing that fails
        fallback = ClassifiedError(kind=ErrorKind.GENERIC, provider=normalize_provider(provider))
        return dataclasses.replace(fallback, message=terminal_message(fallback))


def with_classification(error: BaseException | str, classified: ClassifiedError) -> BaseException:
    """Attach a classification (normalised) that a later `classify` returns unchanged."""
    exc = error if isinstance(error, BaseException) else Exception(str(error))
    setattr(exc, _ATTR, _normalize(classified))
    return exc


def _classify(error: object, provider: str | None) -> ClassifiedError:
    if error is None:
        return ClassifiedError()
    if not isinstance(error, BaseException):
        error = str(error)
        if not error.strip():
            return ClassifiedError()
    else:
        attached = _attached(error)
        if attached is not None:
            hint = normalize_provider(provider)
            return attached.with_provider(hint) if hint and not attached.provider else attached
    found = gather(error)
    signals = scan(found.text) | code_signals(found.codes)
    hint = normalize_provider(provider)
    named = hint or normalize_provider(found.provider)
    guessed = named or detect_provider(found.text) or detect_provider(found.url.lower())
    result = _special(found, signals, guessed)
    if result is None:
        result = _by_rules(found, signals, guessed)
    return _finish(result)


def _attached(error: BaseException) -> ClassifiedError | None:
    for exc in walk(error):
        attached = getattr(exc, _ATTR, None)
        if isinstance(attached, ClassifiedError):
            return attached
    return None


def _special(found: Evidence, signals: set[str], provider: str) -> ClassifiedError | None:
    """SPEC §4 special cases, plus the definitive transport facts, before the rule table."""
    base = ClassifiedError(
        provider=provider, status_code=found.status, retry_after=found.retry_after
    )
    structured = found.structured_detail
    if Transport.CANCELED in found.transports or Signal.CANCELED in signals:
        return dataclasses.replace(
            base, kind=ErrorKind.GENERIC, detail=structured, reason=REASON_CANCELED
        )
    if Signal.CONTINUITY in signals:
        # A fixed text: the provider's message names item ids, which must not leak.
        detail = next(
            (d for phrase, d in _CONTINUITY_DETAILS if phrase in found.text),
            _CONTINUITY_DETAILS[0][1],
        )
        return dataclasses.replace(
            base,
            kind=ErrorKind.GENERIC,
            provider=provider or "openai",
            detail=detail,
            reason=REASON_CONTINUITY,
        )
    if Signal.TRUNCATED in signals:
        return dataclasses.replace(
            base,
            kind=ErrorKind.TIMEOUT,
            retryable=True,
            provider=provider or _stream_provider(found.text),
            detail=structured,
            reason=REASON_TRUNCATED,
        )
    if Signal.CHAIN_BROKEN in signals:
        return dataclasses.replace(
            base,
            kind=ErrorKind.GENERIC,
            retryable=True,
            chain_broken=True,
            provider=provider or "openai",
            detail=structured,
            reason=REASON_CHAIN_BROKEN,
        )
    if Transport.PROVIDER_RESET in found.transports:
        return dataclasses.replace(
            base, kind=ErrorKind.TIMEOUT, retryable=True, detail=_fallback_detail(found)
        )
    reset = _h2_reset(found, signals)
    if reset is not None:
        # A reset the peer may send under load retries as a timeout; any other
        # code is a protocol bug that would fail the same way again.
        kind = ErrorKind.TIMEOUT if reset else ErrorKind.GENERIC
        return dataclasses.replace(base, kind=kind, retryable=reset, detail=_fallback_detail(found))
    return None


def _by_rules(found: Evidence, signals: set[str], provider: str) -> ClassifiedError:
    if Signal.RATE in signals or Signal.RATE_CODE in signals or found.status == 429:
        over = _LIMIT_REQUESTED.search(found.text)
        if over and _number(over.group(2)) > _number(over.group(1)):
            signals.add(Signal.NEVER_BY_WAITING)
    transports = found.transports
    library_failure = Transport.RETRYABLE in transports
    ours = Transport.DEADLINE in transports or (
        Transport.BUILTIN_TIMEOUT in transports and not library_failure
    )
    facts = Facts(
        signals=frozenset(signals),
        status=found.status,
        transport_retryable=library_failure,
        our_deadline=ours,
    )
    _rule, kind, retryable = apply_rules(facts)
    reason = ""
    if kind is ErrorKind.TIMEOUT and ours:
        reason = REASON_DEADLINE
    elif kind is ErrorKind.RATE_LIMIT and not retryable:
        reason = REASON_WAIT_FOREVER
    if found.structured_detail:
        detail = found.structured_detail
    elif kind is ErrorKind.AUTH:
        detail = ""  # raw auth text can carry credentials
    else:
        detail = _fallback_detail(found)
    return ClassifiedError(
        kind=kind,
        detail=detail,
        provider=provider,
        retryable=retryable,
        status_code=found.status,
        retry_after=found.retry_after,
        reason=reason,
    )


def _h2_reset(found: Evidence, signals: set[str]) -> bool | None:
    """None when no HTTP/2 stream reset is in evidence, else whether it may be retried."""
    if Transport.BAD_RESET in found.transports:
        return False
    if Signal.H2_RESET not in signals:
        return None
    code = _H2_CODE.search(found.text)
    if code is None:
        return None
    return h2_reset_retryable(next(g for g in code.groups() if g))


def _fallback_detail(found: Evidence) -> str:
    """The raw error text, folded; dropped when it contains a URL."""
    if found.structured_detail:
        return found.structured_detail
    raw = next((m for m in found.messages if m), "")
    folded = _FOLD.sub(" ", raw).strip()
    return "" if "://" in folded else folded


def _stream_provider(text: str) -> str:
    if "message_stop" in text:
        return "anthropic"
    if any(marker in text for marker in ("terminal event", "response.completed", "[done]")):
        return "openai"
    return ""


def _number(text: str) -> int:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        return 0


def _finish(result: ClassifiedError) -> ClassifiedError:
    detail = _cap(redact(result.detail.strip()))
    result = dataclasses.replace(result, detail=detail)
    return dataclasses.replace(result, message=terminal_message(result))


def _normalize(classified: ClassifiedError) -> ClassifiedError:
    """SPEC §4 normalisation, for classifications that come from outside `classify`."""
    retry_after = classified.retry_after
    if not isinstance(retry_after, int | float) or not math.isfinite(retry_after):
        retry_after = 0.0
    kind = str(classified.kind).strip()
    result = dataclasses.replace(
        classified,
        kind=ErrorKind(kind)
        if kind in ErrorKind._value2member_map_
        else (kind or ErrorKind.GENERIC),
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
