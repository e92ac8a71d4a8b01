"""Model fallback: which model a turn's next attempt runs on, and how the switch reads.

Pure rules, no Django: the runner loads a provider's ``ModelFallback`` rows once per
turn as ``FallbackRule`` values (``chatcore.runner.context``) and asks
``select_fallback`` after each failed attempt. Only models of the same provider are
ever chosen, and never one the turn already ran on, so a turn cannot loop (A→B→A).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from chatcore.contract import ChatRetry
from chatcore.errors import ErrorKind, provider_display_name

__all__ = [
    "Fallback",
    "FallbackReason",
    "FallbackRule",
    "ModelRoute",
    "fallback_message",
    "select_fallback",
]


class FallbackReason(StrEnum):
    """Why a turn switched model (``ChatRetry.reason``, the metric's ``reason`` label)."""

    CONTEXT_LENGTH = "context_length"
    BREAKER_OPEN = "breaker_open"
    OVERLOADED = "overloaded"
    RATE_LIMIT = "rate_limit"


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackRule:
    """One entry of a model's ordered fallback list (a ``ModelFallback`` row)."""

    model: str
    to_model: str
    position: int = 0
    after_attempts: int = 2
    on_overloaded: bool = True
    on_context_length: bool = False
    on_rate_limit: bool = False

    @property
    def reasons(self) -> tuple[FallbackReason, ...]:
        """Every reason this entry can switch for (its metric series, declared at 0)."""
        return tuple(t.reason for t in _TRIGGERS if t.allowed(self))


@dataclass(frozen=True, slots=True)
class Fallback:
    """The switch chosen: the next attempt runs on ``to_model`` because of ``reason``."""

    from_model: str
    to_model: str
    reason: FallbackReason


@dataclass(frozen=True, slots=True)
class _Trigger:
    reason: FallbackReason
    applies: Callable[[str, bool], bool]  # (kind, breaker_open) -> this trigger fired
    allowed: Callable[[FallbackRule], bool]  # the rule opts in to this reason
    waits: bool  # only after the rule's `after_attempts` attempts on the model


# First match wins. A context-length error comes first: the request itself does not fit,
# so no retry on the same model can help and an open breaker changes nothing about it.
# An open breaker outranks the kind of the failure that found it open (the breaker is
# what keeps the model unusable); it switches at once, even before the turn's first
# attempt: the breaker opened on many failures in a row, of every chat on the model.
# Overload and rate limit wait `after_attempts`: a short hiccup should not move a
# conversation to another model.
_TRIGGERS: tuple[_Trigger, ...] = (
    _Trigger(
        FallbackReason.CONTEXT_LENGTH,
        lambda kind, _open: kind == ErrorKind.CONTEXT_LENGTH,
        lambda rule: rule.on_context_length,
        waits=False,
    ),
    _Trigger(
        FallbackReason.BREAKER_OPEN,
        lambda _kind, breaker_open: breaker_open,
        lambda rule: rule.on_overloaded,
        waits=False,
    ),
    _Trigger(
        FallbackReason.OVERLOADED,
        lambda kind, _open: kind == ErrorKind.OVERLOADED,
        lambda rule: rule.on_overloaded,
        waits=True,
    ),
    _Trigger(
        FallbackReason.RATE_LIMIT,
        lambda kind, _open: kind == ErrorKind.RATE_LIMIT,
        lambda rule: rule.on_rate_limit,
        waits=True,
    ),
)


def select_fallback(
    rules: Iterable[FallbackRule],
    *,
    model: str,
    kind: str,
    attempts: int,
    breaker_open: bool = False,
    tried: Collection[str] = (),
) -> Fallback | None:
    """The model the next attempt should run on instead of ``model``, or None to stay.

    ``rules`` are the provider's fallbacks (any model's: only ``model``'s are read, in
    ``position`` order); ``kind`` is the failed attempt's classified kind; ``attempts``
    counts the attempts made on ``model`` so far, the failed one included; ``tried``
    holds the models this turn already ran on (never chosen again).
    """
    own = sorted((rule for rule in rules if rule.model == model), key=lambda rule: rule.position)
    if not own:
        return None
    for trigger in _TRIGGERS:
        if not trigger.applies(kind, breaker_open):
            continue
        for rule in own:
            if not trigger.allowed(rule) or rule.to_model in (model, *tried):
                continue
            if trigger.waits and attempts < max(rule.after_attempts, 1):
                continue
            return Fallback(from_model=model, to_model=rule.to_model, reason=trigger.reason)
        return None
    return None


_WHY: dict[str, str] = {
    FallbackReason.OVERLOADED: "{provider}'s {model} is overloaded",
    FallbackReason.BREAKER_OPEN: "{provider}'s {model} keeps failing and is paused for now",
    FallbackReason.CONTEXT_LENGTH: "this conversation is too long for {provider}'s {model}",
    FallbackReason.RATE_LIMIT: "{provider}'s {model} is rate-limited for now",
}


def fallback_message(*, from_model: str, to_model: str, reason: str, provider: str = "") -> str:
    """What the user reads: "Switched to claude-haiku: Anthropic's claude-sonnet is
    overloaded." An unnamed ``provider`` (the fake one) is "the AI provider"."""
    template = _WHY.get(reason, "{provider}'s {model} failed")
    why = template.format(provider=provider_display_name(provider), model=from_model)
    return f"Switched to {to_model}: {why}."


class ModelRoute:
    """Which model a turn's attempts run on: the chat's, until a fallback switches it.

    The runner's turn counts each attempt (``attempt``), asks ``choose`` after a
    failure, marks the retry it publishes (``announce``) and then ``switch``es.
    """

    def __init__(self, model: str, rules: tuple[FallbackRule, ...]) -> None:
        self.model = model
        self.rules = rules
        self.tried: list[str] = [model]
        self.attempts = 0  # on the current model
        self.pending: Fallback | None = None

    def attempt(self) -> None:
        self.attempts += 1

    def choose(self, kind: str, *, breaker_open: bool = False) -> bool:
        """After a failed attempt: will the next one run on another model?"""
        self.pending = select_fallback(
            self.rules,
            model=self.model,
            kind=kind,
            attempts=self.attempts,
            breaker_open=breaker_open,
            tried=self.tried,
        )
        return self.pending is not None

    def announce(self, retry: ChatRetry) -> ChatRetry:
        """The retry of a chosen fallback says so: from which model to which, and why."""
        switch = self.pending
        if switch is None:
            return retry
        return retry.with_fields(
            from_model=switch.from_model,
            to_model=switch.to_model,
            reason=switch.reason,
            error=fallback_message(
                from_model=switch.from_model,
                to_model=switch.to_model,
                reason=switch.reason,
                provider=retry.provider,
            ),
        )

    def switch(self) -> Fallback | None:
        """Move to the chosen fallback (None when none was chosen)."""
        switch, self.pending = self.pending, None
        if switch is not None:
            self.model = switch.to_model
            self.tried.append(switch.to_model)
            self.attempts = 0
        return switch
