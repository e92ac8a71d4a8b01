"""RetryPolicy: backoff, the Retry-After floor, jitter and validation."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatcore.errors import ClassifiedError, ErrorKind, classify
from chatcore.retry import RetryPolicy
from tests.chatcore.retry.scripted import overloaded, rate_limited

RETRYABLE = ClassifiedError(kind=ErrorKind.OVERLOADED, retryable=True)


def hinted(seconds: float) -> ClassifiedError:
    return dataclasses.replace(RETRYABLE, retry_after=seconds)


def test_defaults_are_the_spec_values() -> None:
    assert RetryPolicy() == RetryPolicy(
        initial_delay=1.0,
        max_delay=60.0,
        max_attempts=25,
        retry_after_ceiling=600.0,
        jitter=0.0,
    )


def test_backoff_doubles_from_one_second_and_caps_at_sixty_for_all_25_attempts() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n) for n in range(1, 26)] == [1, 2, 4, 8, 16, 32] + [60] * 19


def test_backoff_of_a_huge_attempt_number_is_the_cap_not_an_overflow() -> None:
    assert RetryPolicy().backoff(100_000) == 60.0


def test_backoff_is_one_based() -> None:
    with pytest.raises(ValueError, match="1-based"):
        RetryPolicy().backoff(0)


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        pytest.param(1, 0.0, 1.0, id="no_hint_is_the_backoff"),
        pytest.param(1, 7.0, 7.0, id="longer_hint_wins"),
        pytest.param(4, 3.0, 8.0, id="shorter_hint_keeps_the_backoff"),
        pytest.param(3, 4.0, 4.0, id="equal_hint_is_the_same_delay"),
        pytest.param(10, 90.0, 90.0, id="hint_may_exceed_max_delay"),
        pytest.param(1, 1.5005, 1.5005, id="fractional_hint_is_not_rounded"),
    ],
)
def test_delay_is_the_larger_of_backoff_and_retry_after(
    attempt: int, retry_after: float, expected: float
) -> None:
    assert RetryPolicy().delay(attempt, hinted(retry_after)) == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(overloaded(retry_after="7"), 7.0, id="retry_after_seconds"),
        pytest.param(overloaded(retry_after="2.5"), 2.5, id="retry_after_fractional_seconds"),
        pytest.param(
            rate_limited(retry_after_ms="1500.5", retry_after="9"), 1.5005, id="ms_wins_precisely"
        ),
        pytest.param(overloaded(retry_after="soon"), 1.0, id="garbage_hint_is_ignored"),
    ],
)
def test_delay_from_a_classified_provider_error(error: Exception, expected: float) -> None:
    assert RetryPolicy().delay(1, classify(error)) == pytest.approx(expected, abs=1e-9)


def test_jitter_adds_the_given_fraction_of_the_backoff_on_top_of_the_floor() -> None:
    policy = RetryPolicy(jitter=0.2)
    assert policy.delay(3, RETRYABLE, rng=lambda: 0.5) == pytest.approx(4.0 + 0.4)
    assert policy.delay(1, hinted(30.0), rng=lambda: 0.5) == pytest.approx(30.0 + 0.1)


def test_without_jitter_the_rng_is_never_consulted() -> None:
    def fail() -> float:
        raise AssertionError("rng called with jitter=0")

    assert RetryPolicy().delay(2, RETRYABLE, rng=fail) == 2.0


@given(
    attempt=st.integers(min_value=1, max_value=40),
    retry_after=st.floats(min_value=0, max_value=1_000, allow_nan=False),
    jitter=st.floats(min_value=0, max_value=3, allow_nan=False),
    draw=st.floats(min_value=-1, max_value=2, allow_nan=False),
)
def test_jitter_never_shortens_the_floor_nor_adds_more_than_its_fraction(
    attempt: int, retry_after: float, jitter: float, draw: float
) -> None:
    policy = RetryPolicy(jitter=jitter)
    floor = max(policy.backoff(attempt), retry_after)
    delay = policy.delay(attempt, hinted(retry_after), rng=lambda: draw)
    assert floor <= delay <= floor + policy.backoff(attempt) * jitter


@pytest.mark.parametrize(
    ("retry_after", "beyond"),
    [
        pytest.param(0.0, False, id="no_hint"),
        pytest.param(600.0, False, id="exactly_the_ceiling_is_waited_out"),
        pytest.param(600.001, True, id="just_past_the_ceiling"),
        pytest.param(86_400.0, True, id="a_day"),
    ],
)
def test_beyond_ceiling(retry_after: float, beyond: bool) -> None:
    assert RetryPolicy().beyond_ceiling(hinted(retry_after)) is beyond


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"initial_delay": 0}, id="initial_delay_zero"),
        pytest.param({"initial_delay": -1}, id="initial_delay_negative"),
        pytest.param({"max_delay": 0.5}, id="max_delay_below_initial"),
        pytest.param({"max_attempts": 0}, id="no_attempts"),
        pytest.param({"retry_after_ceiling": -1}, id="negative_ceiling"),
        pytest.param({"jitter": -0.1}, id="negative_jitter"),
        pytest.param({"jitter": float("nan")}, id="nan_jitter"),
    ],
)
def test_invalid_policies_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)


def test_policy_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RetryPolicy().max_attempts = 3
