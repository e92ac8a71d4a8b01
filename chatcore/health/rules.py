"""The rules of provider health, as pure functions over a value (no Django, clock injected).

One ``HealthState`` per provider/model says what the next attempt of *any* chat on it may
do. Three things hold an attempt back, checked in this order (the first that holds wins,
and every chat held by it waits on the same deadline):

1. the **shared cooldown**: a ``Retry-After`` (header or body), or a ``rate_limit`` /
   ``overloaded`` answer without one, sets the earliest next start; it only ever moves
   later, so nobody's retry fires before any Retry-After seen;
2. the **circuit breaker**: ``breaker_failures`` consecutive retryable failures of the
   kinds in ``BREAKER_KINDS`` within ``breaker_window`` seconds open it; after the
   cool-off one attempt (the probe, claimed by one owner until ``probe_until``) runs
   half-open; its first streamed text closes the breaker, its failure reopens it for twice
   as long (capped). A probe whose owner died expires and the next attempt probes;
3. the **retry budget** (``chatcore.health.budget``), for retries only.

Times are epoch seconds: every process compares them to its own clock.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BREAKER_KINDS",
    "COOLDOWN_KINDS",
    "STATE_VALUES",
    "Admission",
    "HealthConfig",
    "HealthState",
    "Hold",
    "admit",
    "effective_state",
    "held_until",
    "on_failure",
    "on_success",
]

# Failures that say "the provider is struggling" (retryable ones only). A rate limit is
# about our usage, not its health: it sets the cooldown and never opens the breaker;
# non-retryable kinds (auth, config, usage_limit, ...) never touch the breaker.
BREAKER_KINDS = frozenset({"overloaded", "timeout", "startup_timeout", "generic", ""})
# Failures that hold every chat back even without a Retry-After.
COOLDOWN_KINDS = frozenset({"rate_limit", "overloaded"})

OK, COOLDOWN, OPEN, HALF_OPEN = "ok", "cooldown", "open", "half_open"
# The metric's value per state (chatd_provider_breaker_state): worse is higher.
STATE_VALUES = {OK: 0, COOLDOWN: 1, HALF_OPEN: 2, OPEN: 3}


class Hold(StrEnum):
    """Why an attempt may not start now."""

    NONE = ""
    COOLDOWN = "cooldown"
    OPEN = "open"
    PROBING = "probing"  # half-open: another chat's probe is in flight
    BUDGET = "budget"


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthConfig:
    """The settings (``CHAT_BREAKER_*``, ``CHAT_RETRY_BUDGET_*``, ``CHAT_HEALTH``)."""

    enabled: bool = True
    breaker_failures: int = 5
    breaker_window: float = 30.0
    cooloff: float = 5.0
    max_cooloff: float = 60.0
    budget_ratio: float = 0.2
    budget_floor: int = 10
    budget_window: float = 60.0
    # How long a probe's claim holds: a probe not streaming by then has failed or died.
    probe_ttl: float = 30.0
    # Waiting chats resume spread over this many seconds once the breaker closes.
    resume_spread: float = 2.0
    # The shared cooldown after a rate limit or an overload that named no Retry-After.
    default_cooldown: float = 1.0

    def __post_init__(self) -> None:
        for name in ("breaker_window", "cooloff", "probe_ttl", "budget_window"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive, got {value!r}")
        if self.breaker_failures < 1:
            raise ValueError(f"breaker_failures must be at least 1, got {self.breaker_failures}")
        if not self.max_cooloff >= self.cooloff:
            raise ValueError(f"max_cooloff must be >= cooloff, got {self.max_cooloff!r}")
        if not (self.budget_ratio >= 0 and self.budget_floor >= 0):
            raise ValueError("the retry budget's ratio and floor must not be negative")
        if not (self.resume_spread >= 0 and self.default_cooldown >= 0):
            raise ValueError("resume_spread and default_cooldown must not be negative")


@dataclass(frozen=True, slots=True)
class HealthState:
    """One provider/model's shared state (the runner's side of ``ProviderHealth``)."""

    state: str = OK  # OK (maybe cooling down), OPEN or HALF_OPEN
    cooldown_until: float | None = None
    cooldown_kind: str = ""
    consecutive_failures: int = 0
    failures_since: float | None = None
    open_until: float | None = None
    opened_count: int = 0
    probe_owner: str = ""
    probe_until: float | None = None
    last_kind: str = ""


@dataclass(frozen=True, slots=True)
class Admission:
    """What ``admit`` decided: go now (maybe as the probe), or wait until ``until``."""

    hold: Hold = Hold.NONE
    until: float = 0.0
    probe: bool = False

    @property
    def go(self) -> bool:
        return self.hold is Hold.NONE


def effective_state(state: HealthState, now: float) -> str:
    """What the pages and the metric show at ``now``: a cooldown that ran out is ok."""
    if state.state in (OPEN, HALF_OPEN):
        return state.state
    if state.cooldown_until is not None and state.cooldown_until > now:
        return COOLDOWN
    return OK


def held_until(state: HealthState, now: float) -> float | None:
    """The shared deadline before which no attempt starts (None when nothing holds)."""
    deadlines = []
    if state.cooldown_until is not None and state.cooldown_until > now:
        deadlines.append(state.cooldown_until)
    if state.state == OPEN and state.open_until is not None:
        deadlines.append(state.open_until)
    if state.state == HALF_OPEN and state.probe_until is not None:
        deadlines.append(state.probe_until)
    return max(deadlines) if deadlines else None


def admit(
    state: HealthState, *, now: float, owner: str, config: HealthConfig
) -> tuple[Admission, HealthState]:
    """May an attempt by ``owner`` start at ``now``? The state after (a claimed probe)."""
    if state.cooldown_until is not None and state.cooldown_until > now:
        return Admission(Hold.COOLDOWN, state.cooldown_until), state
    if state.state == OPEN and state.open_until is not None and state.open_until > now:
        return Admission(Hold.OPEN, state.open_until), state
    probing = state.probe_until is not None and state.probe_until > now
    if state.state == HALF_OPEN and state.probe_owner != owner and probing:
        assert state.probe_until is not None
        return Admission(Hold.PROBING, state.probe_until), state
    if state.state in (OPEN, HALF_OPEN):
        # The cool-off ran out (or the last probe's owner never reported): probe.
        claimed = dataclasses.replace(
            state, state=HALF_OPEN, probe_owner=owner, probe_until=now + config.probe_ttl
        )
        return Admission(probe=True), claimed
    return Admission(), state


def on_failure(
    state: HealthState,
    *,
    kind: str,
    retryable: bool,
    retry_after: float,
    now: float,
    owner: str,
    config: HealthConfig,
) -> HealthState:
    """The state after an attempt failed with ``kind``."""
    changes: dict[str, object] = {"last_kind": kind or "generic"}
    hold = max(retry_after, 0.0)
    if hold == 0 and kind in COOLDOWN_KINDS and retryable:
        hold = config.default_cooldown
    if hold > 0:
        current = state.cooldown_until if state.cooldown_until is not None else now
        changes["cooldown_until"] = max(current, now + hold)  # never earlier
        changes["cooldown_kind"] = kind
    if retryable and kind in BREAKER_KINDS:
        changes.update(_breaker_failure(state, now=now, owner=owner, config=config))
    return dataclasses.replace(state, **changes)  # type: ignore[arg-type]


def _breaker_failure(
    state: HealthState, *, now: float, owner: str, config: HealthConfig
) -> dict[str, object]:
    if state.state == HALF_OPEN and state.probe_owner == owner:
        return _opened(state.opened_count, now=now, config=config)  # the probe failed
    if state.state != OK:
        return {}  # already open: the failures of attempts started before add nothing
    fresh = state.failures_since is None or now - state.failures_since > config.breaker_window
    count = 1 if fresh else state.consecutive_failures + 1
    since = now if fresh else state.failures_since
    if count >= config.breaker_failures:
        return _opened(state.opened_count, now=now, config=config)
    return {"consecutive_failures": count, "failures_since": since}


def _opened(opened_count: int, *, now: float, config: HealthConfig) -> dict[str, object]:
    """Open (or reopen) the breaker; each reopening doubles the cool-off, capped."""
    cooloff = min(config.cooloff * 2.0 ** min(opened_count, 32), config.max_cooloff)
    return {
        "state": OPEN,
        "open_until": now + cooloff,
        "opened_count": opened_count + 1,
        "probe_owner": "",
        "probe_until": None,
        "consecutive_failures": 0,
        "failures_since": None,
    }


def on_success(state: HealthState) -> HealthState:
    """The state after an attempt streamed: the provider answers, so the breaker closes.

    A cooldown still holds (a Retry-After is the provider's word about its deadline).
    """
    return dataclasses.replace(
        state,
        state=OK,
        consecutive_failures=0,
        failures_since=None,
        open_until=None,
        opened_count=0,
        probe_owner="",
        probe_until=None,
    )
