"""Deciding what a failure is: the special cases first, then the rule table.

The special cases (cancellation, OpenAI Responses continuity errors, truncated
streams, a broken response chain, and the transport facts that are just as
definitive) each already say everything about the failure, whatever else its
text happens to contain. Everything else goes through the rule table: signals
in, (kind, retryable) out, first match wins.

Why the order is what it is:
  * overload first: a 529 is never anything else;
  * usage limits before auth: providers answer an exhausted quota with 401/403
    and "check your billing" text, and retrying or re-keying will not help;
  * auth before everything else that follows: a bad key makes every other
    signal in the text moot, even a model name that looks wrong;
  * a config (or content-policy) signal vetoes the 403 / 429 / timeout rules,
    because the same request would fail the same way after any wait (a
    certificate that fails verification is a config signal: a transport
    failure that would fail the same way again);
  * provider_disabled before timeout: disabled providers answer 503;
  * content policy before config, server errors last; a provider's "you can
    retry your request" counts as a server error only without a 4xx status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

from chatcore.errors._evidence import Evidence
from chatcore.errors._kinds import ErrorKind
from chatcore.errors._messages import (
    REASON_CANCELED,
    REASON_CHAIN_BROKEN,
    REASON_CONTINUITY,
    REASON_TRUNCATED,
)
from chatcore.errors._patterns import Signal
from chatcore.errors._signals import Transport, h2_reset_retryable

__all__ = [
    "RULES",
    "Facts",
    "Rule",
    "Verdict",
    "apply_rules",
    "facts_of",
    "fallback_detail",
    "special_case",
]


class Verdict(NamedTuple):
    """A decision: kind, retry, the detail to show, and what shapes the message."""

    kind: ErrorKind
    retryable: bool
    detail: str
    reason: str = ""  # a special-case message (a `REASON_*`), or "" for the kind's own
    chain_broken: bool = False
    default_provider: str = ""  # when neither a hint nor the text names one


# Fixed texts: the provider's own message names item ids, which must not leak.
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
# The RST_STREAM code in Go's "stream error: stream ID 3; INTERNAL_ERROR", in h2's
# "<StreamReset stream_id:1, error_code:ErrorCodes.CANCEL, remote_reset:True>", in
# gRPC's "stream terminated by RST_STREAM with error code: INTERNAL_ERROR" and in
# Node's "Stream closed with error code NGHTTP2_REFUSED_STREAM".
_H2_CODE = re.compile(
    r"stream error: stream id \d+; ([a-z_0-9]+)"
    r"|streamreset stream_id:\d+, error_code:(?:errorcodes\.)?([a-z_0-9]+)"
    r"|rst_stream[^;\n]{0,30}?(?:code\W{0,3})?([a-z_]+_error|no_error|refused_stream|cancel"
    r"|enhance_your_calm|\d+)"
    r"|nghttp2_([a-z_]+)"
)
# Which adapter's stream a truncation message is about, when it names no provider.
_STREAM_MARKERS = (
    ("message_stop", "anthropic"),
    ("terminal event", "openai"),
    ("response.completed", "openai"),
    ("[done]", "openai"),
)


def special_case(found: Evidence, signals: set[str]) -> Verdict | None:
    """The verdict of a special case, or None to fall through to the rule table."""
    structured = found.structured_detail
    # A CancelledError below a library transport failure is anyio's leftover in
    # the __context__ of a read timeout, not a cancellation of the request.
    cancelled = (
        Transport.CANCELED in found.transports and Transport.RETRYABLE not in found.transports
    )
    go_cancel = Signal.GO_CANCELED in signals and not _upstream_failed(found, signals)
    if cancelled or go_cancel or Signal.CANCELED in signals:
        return Verdict(ErrorKind.GENERIC, False, structured, REASON_CANCELED)
    if Signal.CONTINUITY in signals:
        detail = next(
            (d for phrase, d in _CONTINUITY_DETAILS if phrase in found.text),
            _CONTINUITY_DETAILS[0][1],
        )
        return Verdict(
            ErrorKind.GENERIC, False, detail, REASON_CONTINUITY, default_provider="openai"
        )
    if Signal.TRUNCATED in signals:
        provider = next((p for marker, p in _STREAM_MARKERS if marker in found.text), "")
        return Verdict(
            ErrorKind.TIMEOUT, True, structured, REASON_TRUNCATED, default_provider=provider
        )
    if Signal.CHAIN_BROKEN in signals:
        return Verdict(
            ErrorKind.GENERIC,
            True,
            structured,
            REASON_CHAIN_BROKEN,
            chain_broken=True,
            default_provider="openai",
        )
    if Transport.PROVIDER_RESET in found.transports:
        return Verdict(ErrorKind.TIMEOUT, True, fallback_detail(found))
    reset = _h2_reset(found, signals)
    if reset is not None:
        # A reset the peer may send under load retries as a timeout; any other
        # code is a protocol bug that would fail the same way again.
        kind = ErrorKind.TIMEOUT if reset else ErrorKind.GENERIC
        return Verdict(kind, reset, fallback_detail(found))
    return None


# Signals of a failure on the provider's side: a Go "context canceled" that comes
# with one of them is the gateway giving up on a failed upstream, not our Stop.
_UPSTREAM_SIGNALS = frozenset(
    {
        Signal.SERVER,
        Signal.TIMEOUT,
        Signal.H2_RESET,
        Signal.OVERLOADED,
        Signal.RATE,
        Signal.RATE_CODE,
        Signal.RETRY_HINT,
    }
)


def _upstream_failed(found: Evidence, signals: set[str]) -> bool:
    return (
        found.rule_status >= 400
        or not _UPSTREAM_SIGNALS.isdisjoint(signals)
        or Transport.RETRYABLE in found.transports
        or Transport.PROVIDER_RESET in found.transports
    )


def fallback_detail(found: Evidence) -> str:
    """The structured detail, else the raw error text folded; dropped when it has a URL.

    An HTML page (a proxy's error page) is dropped too: it is markup, not a message.
    """
    if found.structured_detail:
        return found.structured_detail
    raw = next((m for m in found.messages if m), "")
    if "://" in raw or raw.startswith("<"):  # a URL, or an HTML error page
        return ""
    return " ".join(raw.split())


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


_TIMEOUT_STATUSES = frozenset({408, 502, 503, 504})


class Facts(NamedTuple):
    """Everything the rules look at (derived once, then read by every rule)."""

    signals: AbstractSet[str]
    status: int  # the error status: an inner code for an error inside a 200
    transport_retryable: bool  # an httpx/h2/socket failure in the chain
    our_deadline: bool  # our own deadline expired: never retried
    context: bool  # context-window phrases, or 413: larger than the provider accepts
    config: bool  # a model/configuration problem (context included)
    rate_status: bool  # HTTP 429, or a code that stands for it (unless the status is 402)

    def has(self, signal: str) -> bool:
        return signal in self.signals


def facts_of(
    signals: set[str], status: int, *, transport_retryable: bool, our_deadline: bool
) -> Facts:
    """The facts of a set of signals and a status."""
    context = Signal.CONTEXT in signals or status == 413
    model_not_found = (status == 404 or Signal.NOT_FOUND in signals) and Signal.MODEL in signals
    return Facts(
        signals=signals,
        status=status,
        transport_retryable=transport_retryable,
        our_deadline=our_deadline,
        context=context,
        config=context or model_not_found or Signal.CONFIG in signals or Signal.TLS in signals,
        rate_status=status == 429 or (Signal.RATE_CODE in signals and status != 402),
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """One row: a name (for tests and debugging), a predicate, and its verdict."""

    name: str
    matches: Callable[[Facts], bool]
    kind: ErrorKind
    retryable: Callable[[Facts], bool]


def _yes(_: Facts) -> bool:
    return True


def _no(_: Facts) -> bool:
    return False


RULES: tuple[Rule, ...] = (
    Rule(
        "overloaded",
        lambda f: f.status == 529 or Signal.OVERLOADED in f.signals,
        ErrorKind.OVERLOADED,
        _yes,
    ),
    Rule(
        "usage_limit",
        lambda f: (
            Signal.INSUFFICIENT_QUOTA in f.signals
            or f.status == 402
            or (Signal.USAGE in f.signals and not f.rate_status)
        ),
        ErrorKind.USAGE_LIMIT,
        _no,
    ),
    Rule("auth", lambda f: f.status == 401 or Signal.AUTH in f.signals, ErrorKind.AUTH, _no),
    Rule(
        "forbidden",
        lambda f: (
            (f.status == 403 or Signal.FORBIDDEN in f.signals)
            and not f.config
            and Signal.CONTENT not in f.signals
        ),
        ErrorKind.AUTH,
        _no,
    ),
    Rule(
        "rate_limit",
        lambda f: (f.rate_status or Signal.RATE in f.signals) and not f.config,
        ErrorKind.RATE_LIMIT,
        # A daily quota or a request larger than the whole per-minute budget
        # cannot succeed by waiting.
        lambda f: Signal.NEVER_BY_WAITING not in f.signals,
    ),
    Rule(
        "provider_disabled",
        lambda f: Signal.DISABLED in f.signals,
        ErrorKind.PROVIDER_DISABLED,
        _no,
    ),
    Rule(
        "timeout",
        lambda f: (
            (
                f.status in _TIMEOUT_STATUSES
                or Signal.TIMEOUT in f.signals
                or f.transport_retryable
                or f.our_deadline
            )
            and not f.config
        ),
        ErrorKind.TIMEOUT,
        lambda f: not f.our_deadline,
    ),
    Rule("content_filter", lambda f: Signal.CONTENT in f.signals, ErrorKind.CONTENT_FILTER, _no),
    Rule("context_length", lambda f: f.context, ErrorKind.CONTEXT_LENGTH, _no),
    Rule("config", lambda f: f.config, ErrorKind.CONFIG, _no),
    Rule(
        "server_error",
        lambda f: (
            f.status == 500
            or Signal.SERVER in f.signals
            or (Signal.RETRY_HINT in f.signals and not 400 <= f.status < 500)
        ),
        ErrorKind.GENERIC,
        _yes,
    ),
)


def apply_rules(facts: Facts) -> tuple[ErrorKind, bool]:
    """(kind, retryable) of the first matching rule; generic and final otherwise."""
    for rule in RULES:
        if rule.matches(facts):
            return rule.kind, rule.retryable(facts)
    return ErrorKind.GENERIC, False
