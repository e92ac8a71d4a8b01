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

from chatcore.errors.kinds import ErrorKind
from chatcore.errors.patterns import Signal

__all__ = ["RULES", "Facts", "Rule", "apply_rules"]

_TIMEOUT_STATUSES = frozenset({408, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the rules look at."""

    signals: frozenset[str]
    status: int
    transport_retryable: bool = False  # an httpx/h2/socket failure in the chain
    our_deadline: bool = False  # our own deadline expired: never retried

    def has(self, signal: str) -> bool:
        return signal in self.signals

    @property
    def context(self) -> bool:
        # 413: the request is larger than the provider accepts at all.
        return self.has(Signal.CONTEXT) or self.status == 413

    @property
    def config(self) -> bool:
        return self.has(Signal.CONFIG) or self.context or self._model_not_found

    @property
    def _model_not_found(self) -> bool:
        return (self.status == 404 or self.has(Signal.NOT_FOUND)) and self.has(Signal.MODEL)

    @property
    def rate_status(self) -> bool:
        """HTTP 429, or a code that stands for it (unless the status says payment)."""
        return self.status == 429 or (self.has(Signal.RATE_CODE) and self.status != 402)


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


def apply_rules(facts: Facts) -> tuple[str, ErrorKind, bool]:
    """(rule name, kind, retryable) of the first matching rule; generic otherwise."""
    for rule in RULES:
        if rule.matches(facts):
            return rule.name, rule.kind, rule.retryable(facts)
    return "otherwise", ErrorKind.GENERIC, False
