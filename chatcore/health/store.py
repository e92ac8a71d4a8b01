"""Provider health in the database: the runner's reads and writes of ``ProviderHealth``.

Every runner process shares these rows. The model's row (``model=<name>``) holds the
cooldown and the breaker; the key-wide row (``model=""``) holds the retry budget of the
provider. Write cost, per attempt:

* ``admit_attempt`` (before each attempt): one read of both rows. A first attempt on a
  healthy provider then adds one ``UPDATE ... first_attempts + 1`` (no lock); anything
  else (a retry, a hold, a probe, a new budget window) runs as one locked transaction
  (``SELECT ... FOR UPDATE`` on PostgreSQL) that writes only what changed;
* ``record_failure``: one locked transaction that updates the row and the minute's
  failure count (``ProviderFailureMinute``);
* ``record_success``: nothing unless the admission saw failures or a probe (then one
  locked update that closes the breaker or clears the streak).

So a healthy turn costs one read and one small update. Each function returns the
``HealthView`` to publish when what a page shows changed, else None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from chatcore.health.budget import charge
from chatcore.health.rows import (
    budget_of,
    is_stale,
    reset,
    save_budget,
    save_state,
    state_of,
    when,
)
from chatcore.health.rules import (
    Admission,
    HealthConfig,
    HealthState,
    Hold,
    admit,
    effective_state,
    held_until,
    on_failure,
    on_success,
)
from chatcore.health.view import HealthView, health_of
from chatcore.models import BreakerState, Chat, ChatStatus, Provider, ProviderHealth
from chatcore.models.health import ProviderFailureMinute

__all__ = [
    "Failure",
    "Gate",
    "admit_attempt",
    "count_waiting",
    "record_failure",
    "record_success",
    "waiting_view",
]


@dataclass(frozen=True, slots=True)
class Gate:
    """``admit_attempt``'s answer: the admission, the state seen, and what to publish."""

    admission: Admission
    state: str  # the effective state (a BreakerState value) after the decision
    # The attempt's success must be written: it ran as the probe or saw failures.
    report_success: bool = False
    budget_denied: bool = False
    changed: HealthView | None = None
    kind: str = ""  # what caused a hold: the cooldown's kind, else the last failure's


@dataclass(frozen=True, slots=True)
class Failure:
    """``record_failure``'s answer: the shared deadline now, and what to publish."""

    until: float | None
    state: str
    changed: HealthView | None = None


def admit_attempt(
    provider_id: int,
    model: str,
    *,
    owner: str,
    retry: bool,
    resumed: bool,
    config: HealthConfig,
    now: float,
) -> Gate:
    """May an attempt start at ``now``? ``retry``: not the turn's first attempt;
    ``resumed``: it follows a shared wait (already paced, so not charged to the budget)."""
    rows = _rows(
        ProviderHealth.objects.filter(
            provider_id=provider_id, model__in=("", model)
        ).select_related("provider")
    )
    if any(is_stale(row) for row in rows.values()):  # the key changed: reset, under lock
        return _admit_locked(
            provider_id, model, owner=owner, retry=retry, resumed=resumed, config=config, now=now
        )
    state = state_of(rows.get(model))
    admission, after = admit(state, now=now, owner=owner, config=config)
    key = rows.get("")
    budget = budget_of(key)
    if admission.go and not admission.probe:
        if retry and resumed:  # paced by the shared wait it follows: nothing to count
            return Gate(admission, effective_state(state, now), _dirty(state))
        if not retry and key is not None and budget.rolled(now=now, config=config) is budget:
            ProviderHealth.objects.filter(pk=key.pk).update(first_attempts=F("first_attempts") + 1)
            return Gate(admission, effective_state(state, now), _dirty(state))
    if not admission.go and after == state:  # held: nothing to write
        return Gate(admission, effective_state(state, now), kind=_hold_kind(state, admission))
    return _admit_locked(
        provider_id, model, owner=owner, retry=retry, resumed=resumed, config=config, now=now
    )


def _admit_locked(
    provider_id: int,
    model: str,
    *,
    owner: str,
    retry: bool,
    resumed: bool,
    config: HealthConfig,
    now: float,
) -> Gate:
    with transaction.atomic():
        key_row, row = _locked(provider_id, model)
        before = state_of(row)
        admission, state = admit(before, now=now, owner=owner, config=config)
        denied = False
        if admission.go and not admission.probe and not (retry and resumed):
            allowed, budget, not_before = charge(
                budget_of(key_row), retry=retry, now=now, config=config
            )
            save_budget(key_row, budget)
            if not allowed:
                denied = True
                admission = Admission(Hold.BUDGET, not_before)
        if state != before:
            save_state(row, state)
    changed = _view(provider_id, model, now) if _shown(before, now) != _shown(state, now) else None
    return Gate(
        admission,
        effective_state(state, now),
        report_success=admission.probe or _dirty(state),
        budget_denied=denied,
        changed=changed,
        kind=_hold_kind(state, admission),
    )


def record_failure(
    provider_id: int,
    model: str,
    *,
    kind: str,
    retryable: bool,
    retry_after: float,
    owner: str,
    config: HealthConfig,
    now: float,
) -> Failure:
    """An attempt on ``provider_id``/``model`` failed with ``kind``: cooldown, breaker,
    and the minute's failure count."""
    with transaction.atomic():
        _, row = _locked(provider_id, model)
        before = state_of(row)
        state = on_failure(
            before,
            kind=kind,
            retryable=retryable,
            retry_after=retry_after,
            now=now,
            owner=owner,
            config=config,
        )
        save_state(row, state)
        _count_failure(provider_id, model, kind or "generic", now)
    changed = _view(provider_id, model, now) if _shown(before, now) != _shown(state, now) else None
    return Failure(held_until(state, now), effective_state(state, now), changed)


def record_success(provider_id: int, model: str, *, now: float) -> HealthView | None:
    """An attempt streamed: close the breaker and clear the failure streak."""
    with transaction.atomic():
        _, row = _locked(provider_id, model)
        before = state_of(row)
        state = on_success(before)
        if state != before:
            save_state(row, state)
    if _shown(before, now) == _shown(state, now):
        return None
    count_waiting(provider_id, model)
    return _view(provider_id, model, now)


def count_waiting(provider_id: int, model: str) -> bool:
    """Store how many chats on ``provider_id``/``model`` wait to retry; True if it changed."""
    waiting = Chat.objects.filter(
        provider_id=provider_id, model=model, status=ChatStatus.WAITING_RETRY
    ).count()
    return bool(
        ProviderHealth.objects.filter(provider_id=provider_id, model=model)
        .exclude(waiting=waiting)
        .update(waiting=waiting)
    )


def waiting_view(provider_id: int, model: str, *, now: float) -> HealthView | None:
    """After a chat began a shared wait: the view to publish if the waiting count moved."""
    return _view(provider_id, model, now) if count_waiting(provider_id, model) else None


def _rows(queryset: object) -> dict[str, ProviderHealth]:
    return {row.model: row for row in queryset}  # type: ignore[attr-defined]


def _locked(provider_id: int, model: str) -> tuple[ProviderHealth, ProviderHealth]:
    """The key-wide row and the model's row, created if missing, locked until commit."""
    names = ("", model)
    query = (
        ProviderHealth.objects.select_for_update(of=("self",))
        .select_related("provider")
        .filter(provider_id=provider_id, model__in=names)
    )
    rows = _rows(query)
    if len(rows) < len(set(names)):
        for name in names:
            if name not in rows:
                try:
                    with transaction.atomic():
                        ProviderHealth.objects.create(provider_id=provider_id, model=name)
                except IntegrityError:
                    pass  # another runner created it first
        rows = _rows(query.all())  # a fresh query: the first result is cached
    for row in rows.values():
        if is_stale(row):
            reset(row)
    return rows[""], rows[model]


def _count_failure(provider_id: int, model: str, kind: str, now: float) -> None:
    minute = datetime.fromtimestamp(now - now % 60, UTC)
    fields = {"provider_id": provider_id, "model": model, "minute": minute, "kind": kind}
    if ProviderFailureMinute.objects.filter(**fields).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ProviderFailureMinute.objects.create(**fields, count=1)
    except IntegrityError:  # created meanwhile by another runner
        ProviderFailureMinute.objects.filter(**fields).update(count=F("count") + 1)


def _hold_kind(state: HealthState, admission: Admission) -> str:
    if admission.hold is Hold.COOLDOWN:
        return state.cooldown_kind
    return state.last_kind if admission.hold is not Hold.NONE else ""


def _dirty(state: HealthState) -> bool:
    return state.state != BreakerState.OK or state.consecutive_failures > 0


def _shown(state: HealthState, now: float) -> tuple[str, float | None]:
    return effective_state(state, now), held_until(state, now)


def _view(provider_id: int, model: str, now: float) -> HealthView | None:
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return None
    return health_of(provider, model, now=when(now))
