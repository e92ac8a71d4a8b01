"""The rules of provider health with an injected clock: cooldown, breaker, retry budget."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatcore.health import (
    Admission,
    Budget,
    HealthConfig,
    HealthState,
    Hold,
    admit,
    allowed_retries,
    charge,
    effective_state,
    held_until,
    on_failure,
    on_success,
)
from tests.public_api import assert_all_is_complete

CONFIG = HealthConfig(
    breaker_failures=3,
    breaker_window=30.0,
    cooloff=10.0,
    max_cooloff=35.0,
    budget_ratio=0.2,
    budget_floor=2,
    budget_window=60.0,
    probe_ttl=20.0,
    default_cooldown=1.0,
)
T0 = 1_800_000_000.0


def fail(
    state: HealthState,
    kind: str = "overloaded",
    *,
    at: float,
    owner: str = "a",
    retryable: bool = True,
    retry_after: float = 0.0,
) -> HealthState:
    return on_failure(
        state,
        kind=kind,
        retryable=retryable,
        retry_after=retry_after,
        now=at,
        owner=owner,
        config=CONFIG,
    )


def opened(at: float = T0) -> HealthState:
    state = HealthState()
    for i in range(CONFIG.breaker_failures):
        state = fail(state, "timeout", at=at + i * 0.1)
    return state


# --- shared cooldown --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "retryable", "retry_after", "until"),
    [
        pytest.param("rate_limit", True, 7.0, T0 + 7, id="retry_after_sets_the_deadline"),
        pytest.param("rate_limit", True, 0.0, T0 + 1, id="rate_limit_without_hint_default"),
        pytest.param("overloaded", True, 0.0, T0 + 1, id="overloaded_without_hint_default"),
        pytest.param("generic", True, 4.0, T0 + 4, id="any_retry_after_counts"),
        pytest.param("generic", True, 0.0, None, id="generic_without_hint_holds_nobody"),
        pytest.param("auth", False, 0.0, None, id="non_retryable_holds_nobody"),
    ],
)
def test_a_failure_sets_the_shared_cooldown(kind, retryable, retry_after, until) -> None:
    state = fail(HealthState(), kind, at=T0, retryable=retryable, retry_after=retry_after)
    assert state.cooldown_until == until
    if until is not None:
        assert admit(state, now=T0 + 0.5, owner="b", config=CONFIG) == (
            Admission(Hold.COOLDOWN, until),
            state,
        )
        assert effective_state(state, T0 + 0.5) == "cooldown"
        assert effective_state(state, until) == "ok"
        assert admit(state, now=until, owner="b", config=CONFIG)[0].go


def test_a_shorter_retry_after_never_moves_the_cooldown_earlier() -> None:
    state = fail(HealthState(), "rate_limit", at=T0, retry_after=30)
    state = fail(state, "rate_limit", at=T0 + 1, retry_after=2)
    assert state.cooldown_until == T0 + 30
    state = fail(state, "rate_limit", at=T0 + 2, retry_after=40)
    assert state.cooldown_until == T0 + 42


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=100),  # seconds since the previous failure
            st.sampled_from(["rate_limit", "overloaded", "timeout", "generic", "auth"]),
            st.floats(min_value=0, max_value=600),  # the failure's Retry-After
            st.booleans(),  # retryable
        ),
        min_size=1,
        max_size=30,
    )
)
def test_no_attempt_is_admitted_before_any_retry_after_seen(failures) -> None:
    state, now, latest = HealthState(), T0, T0
    for gap, kind, retry_after, retryable in failures:
        now += gap
        state = fail(state, kind, at=now, retryable=retryable, retry_after=retry_after)
        latest = max(latest, now + retry_after)
        admission, _ = admit(state, now=now, owner="x", config=CONFIG)
        held = held_until(state, now)
        assert held is None or held >= admission.until
        if latest > now:  # a Retry-After still runs: nobody goes, and it is the floor
            assert not admission.go
            assert admission.until >= latest
            assert held is not None and held >= latest


# --- circuit breaker --------------------------------------------------------------------


def test_consecutive_retryable_failures_open_the_breaker() -> None:
    state = fail(HealthState(), "timeout", at=T0)
    state = fail(state, "generic", at=T0 + 1)
    assert (state.state, state.consecutive_failures) == ("ok", 2)
    state = fail(state, "timeout", at=T0 + 2)
    assert (state.state, state.open_until, state.opened_count) == ("open", T0 + 12, 1)
    assert admit(state, now=T0 + 5, owner="b", config=CONFIG)[0] == Admission(Hold.OPEN, T0 + 12)
    assert effective_state(state, T0 + 5) == "open"


def test_failures_spread_beyond_the_window_do_not_open_it() -> None:
    state = HealthState()
    for i in range(10):
        state = fail(state, "timeout", at=T0 + i * 31)
    assert (state.state, state.consecutive_failures) == ("ok", 1)


@pytest.mark.parametrize(
    "kind",
    ["auth", "config", "usage_limit", "context_length", "content_filter", "provider_disabled"],
)
def test_non_retryable_kinds_never_open_the_breaker(kind) -> None:
    state = HealthState()
    for i in range(20):
        state = fail(state, kind, at=T0 + i, retryable=False)
    assert state.state == "ok" and state.consecutive_failures == 0


def test_rate_limits_cool_down_but_never_open_the_breaker() -> None:
    state = HealthState()
    for i in range(20):
        state = fail(state, "rate_limit", at=T0 + i)
    assert state.state == "ok" and state.consecutive_failures == 0


def test_after_the_cooloff_one_probe_runs_and_the_others_wait_for_it() -> None:
    state = opened()
    admission, probing = admit(state, now=T0 + 13, owner="a", config=CONFIG)
    assert admission == Admission(probe=True)
    assert (probing.state, probing.probe_owner, probing.probe_until) == ("half_open", "a", T0 + 33)
    assert admit(probing, now=T0 + 14, owner="b", config=CONFIG) == (
        Admission(Hold.PROBING, T0 + 33),
        probing,
    )
    assert effective_state(probing, T0 + 14) == "half_open"


def test_a_probe_whose_runner_died_expires_and_another_probes() -> None:
    _, probing = admit(opened(), now=T0 + 13, owner="killed", config=CONFIG)
    admission, again = admit(probing, now=T0 + 33, owner="b", config=CONFIG)
    assert admission.probe and (again.probe_owner, again.probe_until) == ("b", T0 + 53)


def test_the_probes_success_closes_the_breaker() -> None:
    _, probing = admit(opened(), now=T0 + 13, owner="a", config=CONFIG)
    closed = on_success(probing)
    assert closed == dataclasses.replace(HealthState(), last_kind="timeout")
    assert admit(closed, now=T0 + 14, owner="b", config=CONFIG)[0].go


def test_a_failed_probe_reopens_for_twice_as_long_capped() -> None:
    state, now, cooloffs = opened(), T0, []
    for _ in range(4):
        now = state.open_until
        _, state = admit(state, now=now, owner="p", config=CONFIG)
        state = fail(state, "overloaded", at=now, owner="p")
        cooloffs.append(state.open_until - now)
    assert cooloffs == [20.0, 35.0, 35.0, 35.0]
    assert state.state == "open"


def test_failures_of_attempts_started_before_it_opened_add_nothing() -> None:
    state = opened()
    assert fail(state, "timeout", at=T0 + 1, owner="late") == dataclasses.replace(state)


def test_a_cooldown_outlives_a_closing_breaker() -> None:
    _, probing = admit(opened(), now=T0 + 13, owner="a", config=CONFIG)
    probing = fail(probing, "rate_limit", at=T0 + 13, owner="other", retry_after=30)
    closed = on_success(probing)
    assert closed.state == "ok" and held_until(closed, T0 + 14) == T0 + 43


# --- retry budget -----------------------------------------------------------------------


def test_the_budget_allows_the_floor_plus_a_share_of_first_attempts() -> None:
    budget = Budget()
    for _ in range(20):
        allowed, budget, _ = charge(budget, retry=False, now=T0, config=CONFIG)
        assert allowed
    assert allowed_retries(budget, CONFIG) == 2 + 4
    results = []
    for _ in range(8):
        allowed, budget, not_before = charge(budget, retry=True, now=T0 + 1, config=CONFIG)
        results.append((allowed, not_before))
    assert results == [(True, T0 + 1)] * 6 + [(False, T0 + 60)] * 2
    assert (budget.first_attempts, budget.retries) == (20, 6)


def test_a_new_window_starts_afresh() -> None:
    budget = Budget(since=T0, first_attempts=50, retries=12)
    allowed, budget, _ = charge(budget, retry=True, now=T0 + 60, config=CONFIG)
    assert allowed and budget == Budget(since=T0 + 60, first_attempts=0, retries=1)


@given(st.lists(st.booleans(), max_size=200))
def test_retries_never_exceed_the_budget(kinds) -> None:
    budget = Budget()
    for retry in kinds:
        _, budget, _ = charge(budget, retry=retry, now=T0, config=CONFIG)
        assert budget.retries <= CONFIG.budget_floor + CONFIG.budget_ratio * budget.first_attempts


# --- configuration and layering ---------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"breaker_failures": 0}, id="no_failures"),
        pytest.param({"cooloff": 0}, id="zero_cooloff"),
        pytest.param({"cooloff": 10, "max_cooloff": 5}, id="max_below_cooloff"),
        pytest.param({"budget_ratio": -0.1}, id="negative_ratio"),
        pytest.param({"breaker_window": float("nan")}, id="nan_window"),
    ],
)
def test_a_bad_config_is_refused(bad) -> None:
    with pytest.raises(ValueError):
        HealthConfig(**bad)


def test_the_rules_import_no_django() -> None:
    code = (
        "import importlib.util, sys\n"
        "for name in ('rules', 'budget'):\n"
        "    spec = importlib.util.spec_from_file_location(\n"
        "        'chatcore.health.' + name, 'chatcore/health/' + name + '.py')\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    sys.modules[spec.name] = module\n"
        "    spec.loader.exec_module(module)\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "name",
    [
        "chatcore.health",
        "chatcore.health.rules",
        "chatcore.health.budget",
        "chatcore.health.store",
        "chatcore.health.shared",
        "chatcore.health.rows",
    ],
)
def test_public_api_is_complete(name) -> None:
    assert_all_is_complete(name)
