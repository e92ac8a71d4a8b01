"""``ProviderHealth`` rows as the rules' values, and back; a row kept for an old key is reset.

A row remembers the provider's ``key_id`` it was written under (``key_ref``): when an
operator changes the key, the old key's cooldown, breaker and budget no longer apply.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chatcore.health.budget import Budget
from chatcore.health.rules import HealthState
from chatcore.models import ProviderHealth

__all__ = ["budget_of", "is_stale", "reset", "save_budget", "save_state", "state_of", "when"]

_STATE_FIELDS = (
    "state",
    "cooldown_until",
    "cooldown_kind",
    "consecutive_failures",
    "failures_since",
    "open_until",
    "opened_count",
    "probe_owner",
    "probe_until",
    "last_kind",
)
_TIMES = {"cooldown_until", "failures_since", "open_until", "probe_until"}


def state_of(row: ProviderHealth | None) -> HealthState:
    """The row's breaker and cooldown (a missing row is healthy)."""
    if row is None:
        return HealthState()
    values = {name: getattr(row, name) for name in _STATE_FIELDS}
    for name in _TIMES:
        values[name] = values[name].timestamp() if values[name] is not None else None
    values["state"] = str(values["state"])
    return HealthState(**values)


def save_state(row: ProviderHealth, state: HealthState) -> None:
    """Write ``state`` to the row."""
    _assign(row, state)
    row.save(update_fields=[*_STATE_FIELDS, "updated_at"])


def _assign(row: ProviderHealth, state: HealthState) -> None:
    for name in _STATE_FIELDS:
        value = getattr(state, name)
        setattr(row, name, when(value) if name in _TIMES else value)


def budget_of(row: ProviderHealth | None) -> Budget:
    """The retry budget's window kept on the row."""
    if row is None or row.budget_since is None:
        return Budget()
    return Budget(row.budget_since.timestamp(), row.first_attempts, row.retries)


def save_budget(row: ProviderHealth, budget: Budget) -> None:
    """Write the budget's window to the row (nothing when unchanged)."""
    if budget_of(row) == budget:
        return
    row.budget_since = when(budget.since)
    row.first_attempts, row.retries = budget.first_attempts, budget.retries
    row.save(update_fields=["budget_since", "first_attempts", "retries", "updated_at"])


def is_stale(row: ProviderHealth) -> bool:
    """The row was written under another key of its provider (``select_related`` it)."""
    return row.key_ref != row.provider.key_id


def reset(row: ProviderHealth) -> None:
    """Forget what the row knew of an old key: a new key starts healthy."""
    _assign(row, HealthState())
    row.budget_since, row.first_attempts, row.retries = None, 0, 0
    row.key_ref = row.provider.key_id
    budget = ["budget_since", "first_attempts", "retries"]
    row.save(update_fields=[*_STATE_FIELDS, *budget, "key_ref", "updated_at"])


def when(value: float | None) -> datetime | None:
    """Epoch seconds as an aware datetime (None stays None)."""
    return None if value is None else datetime.fromtimestamp(value, UTC)
