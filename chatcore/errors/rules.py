"""The rule table of SPEC §4: signals in, (kind, retryable) out, first match wins.

Why the order is what it is:
  * overload first: a 529 is never anything else;
  * usage limits before auth: providers answer an exhausted quota with 401/403
    and "check your billing" text, and retrying or re-keying will not help;
  * auth before everything else that follows: a bad key makes every other
    signal in the text moot, even a model name that looks wrong;
  * a config (or content-policy) signal vetoes the 403 / 429 / timeout rules,
    because the same request would fail the same way after any wait;
  * provider_disabled before timeout: disabled providers answer 503;
  * content policy before config, server errors last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from chatcore.errors.kinds import ErrorKind
from chatcore.errors.patterns import Signal

__all__ = ["RULES", "Facts", "Rule", "apply_rules", "facts_of"]

_TIMEOUT_STATUSES = frozenset({408, 502, 503, 504})


class Facts(NamedTuple):
    """Everything the rules look at (derived once, then read by every rule)."""

    signals: frozenset[str]
    status: int
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
        signals=frozenset(signals),
        status=status,
        transport_retryable=transport_retryable,
        our_deadline=our_deadline,
        context=context,
        config=context or model_not_found or Signal.CONFIG in signals,
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
        lambda f: f.status == 529 or f.has(Signal.OVERLOADED),
        ErrorKind.OVERLOADED,
        _yes,
    ),
    Rule(
        "usage_limit",
        lambda f: (
            f.has(Signal.INSUFFICIENT_QUOTA)
            or f.status == 402
            or (f.has(Signal.USAGE) and not f.rate_status)
        ),
        ErrorKind.USAGE_LIMIT,
        _no,
    ),
    Rule("auth", lambda f: f.status == 401 or f.has(Signal.AUTH), ErrorKind.AUTH, _no),
    Rule(
        "forbidden",
        lambda f: (
            (f.status == 403 or f.has(Signal.FORBIDDEN))
            and not f.config
            and not f.has(Signal.CONTENT)
        ),
        ErrorKind.AUTH,
        _no,
    ),
    Rule(
        "rate_limit",
        lambda f: (f.rate_status or f.has(Signal.RATE)) and not f.config,
        ErrorKind.RATE_LIMIT,
        # A daily quota or a request larger than the whole per-minute budget
        # cannot succeed by waiting.
        lambda f: not f.has(Signal.NEVER_BY_WAITING),
    ),
    Rule("provider_disabled", lambda f: f.has(Signal.DISABLED), ErrorKind.PROVIDER_DISABLED, _no),
    Rule(
        "timeout",
        lambda f: (
            (
                f.status in _TIMEOUT_STATUSES
                or f.has(Signal.TIMEOUT)
                or f.transport_retryable
                or f.our_deadline
            )
            and not f.config
        ),
        ErrorKind.TIMEOUT,
        lambda f: not f.our_deadline,
    ),
    Rule("content_filter", lambda f: f.has(Signal.CONTENT), ErrorKind.CONTENT_FILTER, _no),
    Rule("context_length", lambda f: f.context, ErrorKind.CONTEXT_LENGTH, _no),
    Rule("config", lambda f: f.config, ErrorKind.CONFIG, _no),
    Rule(
        "server_error",
        lambda f: f.status == 500 or f.has(Signal.SERVER),
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
