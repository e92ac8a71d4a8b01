"""What the pages show of provider health: one ``HealthView`` per provider/model.

The runner writes ``ProviderHealth`` rows; this module reads them. A chat's status line
combines the key-wide row (``model=""``) with its model's row: the worse state wins and
the later deadline holds. Live updates go to ``HEALTH_GROUP`` as ``health.changed``
messages carrying ``HealthView.to_dict()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from chatcore.contract import format_utc
from chatcore.models import BreakerState, Provider, ProviderHealth

__all__ = ["HEALTH_CHANGED", "HEALTH_GROUP", "HealthView", "degraded", "health_of"]

HEALTH_GROUP = "provider-health"
HEALTH_CHANGED = "health.changed"

# Worst first: an open breaker outranks a probe, which outranks a cooldown.
_RANK = {
    BreakerState.OPEN: 3,
    BreakerState.HALF_OPEN: 2,
    BreakerState.COOLDOWN: 1,
    BreakerState.OK: 0,
}


@dataclass(frozen=True, slots=True)
class HealthView:
    """One provider/model's state as a user may see it (no keys, no owners)."""

    provider_id: int
    provider: str  # the configured name (Provider.name)
    model: str  # "" for the whole key
    state: str  # a BreakerState value
    until: datetime | None  # the next attempt of any chat starts no earlier
    kind: str  # the error kind that caused it ("" when ok)
    waiting: int  # chats waiting on it

    @property
    def ok(self) -> bool:
        return self.state == BreakerState.OK

    def to_dict(self) -> dict[str, object]:
        return {
            "provider_id": self.provider_id,
            "provider": self.provider,
            "model": self.model,
            "state": self.state,
            "until": format_utc(self.until) if self.until else "",
            "kind": self.kind,
            "waiting": self.waiting,
        }


def _effective(row: ProviderHealth, now: datetime) -> tuple[str, datetime | None]:
    """A row's state at ``now``: a cooldown that ran out is ok again."""
    if row.state == BreakerState.OPEN:
        return row.state, row.open_until
    if row.state == BreakerState.HALF_OPEN:
        return row.state, row.probe_until
    if row.cooldown_until is not None and row.cooldown_until > now:
        return BreakerState.COOLDOWN, row.cooldown_until
    return BreakerState.OK, None


def _combine(
    provider: Provider, model: str, rows: Iterable[ProviderHealth], now: datetime
) -> HealthView:
    state, until, kind, waiting = BreakerState.OK.value, None, "", 0
    for row in rows:
        row_state, row_until = _effective(row, now)
        waiting = max(waiting, row.waiting)
        if _RANK[BreakerState(row_state)] > _RANK[BreakerState(state)]:
            state, kind = str(row_state), row.last_kind or row.cooldown_kind
        if row_until is not None and row_state != BreakerState.OK:
            until = row_until if until is None else max(until, row_until)
    return HealthView(provider.pk, provider.name, model, state, until, kind, waiting)


def health_of(provider: Provider, model: str, *, now: datetime | None = None) -> HealthView:
    """The status a chat on ``provider``/``model`` shows (one query)."""
    now = now or timezone.now()
    rows = ProviderHealth.objects.filter(provider=provider, model__in=("", model))
    return _combine(provider, model, rows, now)


def degraded(*, now: datetime | None = None) -> list[HealthView]:
    """Every enabled provider/model that is not ok right now (for the new-chat picker)."""
    now = now or timezone.now()
    rows = ProviderHealth.objects.filter(provider__enabled=True).select_related("provider")
    views = [_combine(row.provider, row.model, [row], now) for row in rows]
    return [view for view in views if not view.ok]
