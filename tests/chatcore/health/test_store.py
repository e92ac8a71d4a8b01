"""Provider health in the database: what each attempt reads and writes, on SQLite and
PostgreSQL (set DATABASE_URL); the concurrent case needs PostgreSQL's row locks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatcore.health import HealthConfig, Hold
from chatcore.health.store import (
    admit_attempt,
    count_waiting,
    record_failure,
    record_success,
)
from chatcore.models import ChatStatus, Provider, ProviderHealth
from chatcore.models.health import ProviderFailureMinute
from tests.chatcore.runner.conftest import make_chat

CONFIG = HealthConfig(
    breaker_failures=3,
    cooloff=10.0,
    max_cooloff=40.0,
    budget_floor=1,
    budget_ratio=0.5,
    budget_window=60.0,
    probe_ttl=20.0,
)
T0 = 1_800_000_000.0  # a whole minute


@pytest.fixture
def provider(db) -> Provider:
    return Provider.objects.create(name="acme", kind="fake", models=["m"], default_model="m")


def gate(
    provider: Provider, *, at: float, owner: str = "a", retry: bool = False, resumed: bool = False
):
    return admit_attempt(
        provider.pk, "m", owner=owner, retry=retry, resumed=resumed, config=CONFIG, now=at
    )


def failure(
    provider: Provider,
    kind: str = "overloaded",
    *,
    at: float,
    owner: str = "a",
    retry_after: float = 0.0,
):
    return record_failure(
        provider.pk,
        "m",
        kind=kind,
        retryable=True,
        retry_after=retry_after,
        owner=owner,
        config=CONFIG,
        now=at,
    )


def test_a_healthy_first_attempt_costs_one_read_and_one_update(provider) -> None:
    gate(provider, at=T0)  # the first ever creates the rows and opens the budget window
    with CaptureQueriesContext(connection) as queries:
        result = gate(provider, at=T0 + 1)
    assert result.admission.go and result.state == "ok" and not result.report_success
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "UPDATE"]
    key = ProviderHealth.objects.get(provider=provider, model="")
    assert (key.first_attempts, key.retries) == (2, 0)


def test_a_resumed_retry_on_a_healthy_provider_writes_nothing(provider) -> None:
    gate(provider, at=T0)
    with CaptureQueriesContext(connection) as queries:
        assert gate(provider, at=T0 + 1, retry=True, resumed=True).admission.go
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_a_retry_after_is_shared_and_published(provider) -> None:
    result = failure(provider, "rate_limit", at=T0, retry_after=12)
    assert (result.until, result.state) == (T0 + 12, "cooldown")
    assert result.changed is not None
    assert result.changed.to_dict() | {"until": ""} == {
        "provider_id": provider.pk,
        "provider": "acme",
        "model": "m",
        "state": "cooldown",
        "until": "",
        "kind": "rate_limit",
        "waiting": 0,
    }
    assert result.changed.until == datetime.fromtimestamp(T0 + 12, UTC)
    held = gate(provider, at=T0 + 5, owner="another chat")
    assert (held.admission.hold, held.admission.until, held.changed, held.kind) == (
        Hold.COOLDOWN,
        T0 + 12,
        None,
        "rate_limit",
    )
    # A second, shorter Retry-After changes nothing a page shows.
    assert failure(provider, "rate_limit", at=T0 + 6, retry_after=2).changed is None


def test_the_breaker_opens_probes_and_closes_across_owners(provider) -> None:
    for i in range(3):
        result = failure(provider, "timeout", at=T0 + i, owner=f"chat{i}")
    assert (result.state, result.until) == ("open", T0 + 12)
    assert gate(provider, at=T0 + 5, owner="x").admission.hold is Hold.OPEN
    probe = gate(provider, at=T0 + 12, owner="prober")
    assert probe.admission.probe and probe.report_success and probe.state == "half_open"
    assert probe.changed is not None and probe.changed.state == "half_open"
    waiting = gate(provider, at=T0 + 13, owner="x")
    assert (waiting.admission.hold, waiting.admission.until) == (Hold.PROBING, T0 + 32)
    closed = record_success(provider.pk, "m", now=T0 + 14)
    assert closed is not None and closed.state == "ok"
    assert gate(provider, at=T0 + 14, owner="x").admission.go
    row = ProviderHealth.objects.get(provider=provider, model="m")
    assert (row.state, row.consecutive_failures, row.probe_owner) == ("ok", 0, "")


def test_a_failed_probe_reopens_longer(provider) -> None:
    for i in range(3):
        failure(provider, "timeout", at=T0 + i)
    gate(provider, at=T0 + 12, owner="prober")
    reopened = failure(provider, "overloaded", at=T0 + 13, owner="prober")
    assert (reopened.state, reopened.until) == ("open", T0 + 33)


def test_the_budget_holds_retries_back_and_counts_them(provider) -> None:
    gate(provider, at=T0)
    gate(provider, at=T0)  # two first attempts: 1 + 0.5 * 2 = 2 retries
    assert gate(provider, at=T0 + 1, retry=True).admission.go
    assert gate(provider, at=T0 + 1, retry=True).admission.go
    denied = gate(provider, at=T0 + 2, retry=True)
    assert denied.budget_denied
    assert (denied.admission.hold, denied.admission.until) == (Hold.BUDGET, T0 + 60)
    assert gate(provider, at=T0 + 60, retry=True).admission.go  # the next window


def test_a_new_key_starts_healthy(provider) -> None:
    provider.set_api_key("sk-old-key-000000")
    provider.save()
    failure(provider, "rate_limit", at=T0, retry_after=300)
    for i in range(3):
        failure(provider, "timeout", at=T0 + i)
    assert gate(provider, at=T0 + 5, owner="x").admission.hold is Hold.COOLDOWN
    provider.set_api_key("sk-new-key-111111")
    provider.save()
    assert gate(provider, at=T0 + 6, owner="x").admission.go
    row = ProviderHealth.objects.get(provider=provider, model="m")
    assert (row.state, row.cooldown_until, row.key_ref) == ("ok", None, provider.key_id)


def test_each_failure_is_counted_per_minute_and_kind(provider) -> None:
    failure(provider, "overloaded", at=T0 + 1)
    failure(provider, "overloaded", at=T0 + 59)
    failure(provider, "rate_limit", at=T0 + 30)
    failure(provider, "overloaded", at=T0 + 61)
    counts = sorted(
        ProviderFailureMinute.objects.filter(provider=provider).values_list(
            "minute", "kind", "count"
        )
    )
    minute = datetime.fromtimestamp(T0, UTC)
    later = datetime.fromtimestamp(T0 + 60, UTC)
    assert counts == [
        (minute, "overloaded", 2),
        (minute, "rate_limit", 1),
        (later, "overloaded", 1),
    ]


def test_the_waiting_count_follows_the_chats(provider) -> None:
    failure(provider, at=T0)
    chats = [make_chat(provider, "m", username=f"u{i}") for i in range(3)]
    for chat in chats[:2]:
        type(chat).objects.filter(pk=chat.pk).update(status=ChatStatus.WAITING_RETRY)
    assert count_waiting(provider.pk, "m")
    assert not count_waiting(provider.pk, "m")  # unchanged: nothing written
    assert ProviderHealth.objects.get(provider=provider, model="m").waiting == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted(provider) -> None:
    workers, each = 6, 5
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                failure(provider, "rate_limit", at=T0 + 1, owner=f"w{n}", retry_after=n + i)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    (count,) = ProviderFailureMinute.objects.filter(provider=provider).values_list(
        "count", flat=True
    )
    assert count == workers * each
    row = ProviderHealth.objects.get(provider=provider, model="m")
    assert row.cooldown_until == datetime.fromtimestamp(T0 + 1 + workers - 1 + each - 1, UTC)
