"""run_with_retry: results, delays, exhaustion, non-retryable errors, the ceiling."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    ProviderError,
    classify,
    terminal_message,
)
from chatcore.retry import GiveUpReason, RetryGaveUp, RetryPolicy, run_with_retry
from tests.chatcore.retry.scripted import (
    RecordingSleep,
    RetryLog,
    Script,
    overloaded,
    rate_limited,
)

SPEC_DELAYS = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0] + [60.0] * 18


async def test_first_success_returns_its_result_without_sleeping() -> None:
    script, sleep = Script([], result="hello"), RecordingSleep()
    assert await run_with_retry(script, sleep=sleep) == "hello"
    assert (script.attempts, sleep.delays) == ([1], [])


async def test_retries_until_success_with_one_based_attempt_numbers() -> None:
    script, sleep, log = Script([overloaded(), overloaded()]), RecordingSleep(), RetryLog()
    assert await run_with_retry(script, sleep=sleep, on_retry=log) == "done"
    assert script.attempts == [1, 2, 3]
    assert sleep.delays == [1.0, 2.0]
    assert [call[0] for call in log.calls] == [1, 2]


async def test_exhaustion_after_exactly_25_attempts_with_the_spec_delay_sequence() -> None:
    errors = [overloaded() for _ in range(30)]
    script, sleep, log = Script(errors), RecordingSleep(), RetryLog()
    with pytest.raises(RetryGaveUp) as caught:
        await run_with_retry(script, sleep=sleep, on_retry=log)
    gave_up = caught.value
    assert script.attempts == list(range(1, 26))
    assert sleep.delays == SPEC_DELAYS
    assert log.delays == SPEC_DELAYS
    assert "max retry attempts (25) exceeded" in str(gave_up)
    assert (gave_up.attempts, gave_up.reason) == (25, GiveUpReason.EXHAUSTED)
    assert gave_up.__cause__ is errors[24]
    # The last classification, unchanged: the user sees the provider's terminal
    # message, the "max attempts" wording stays in the exception text.
    assert gave_up.classified == classify(errors[24])
    assert gave_up.classified.message == terminal_message(gave_up.classified)
    assert "max retry" not in gave_up.classified.message


async def test_exhaustion_names_the_policys_own_limit() -> None:
    script = Script([overloaded() for _ in range(5)])
    with pytest.raises(RetryGaveUp, match=r"max retry attempts \(3\) exceeded") as caught:
        await run_with_retry(script, policy=RetryPolicy(max_attempts=3), sleep=RecordingSleep())
    assert caught.value.attempts == 3 == len(script.attempts)


async def test_exhaustion_keeps_the_last_classification_not_the_first() -> None:
    errors = [overloaded(), rate_limited()]
    with pytest.raises(RetryGaveUp) as caught:
        await run_with_retry(
            Script(errors), policy=RetryPolicy(max_attempts=2), sleep=RecordingSleep()
        )
    assert caught.value.classified == classify(errors[1])
    assert caught.value.classified.kind == ErrorKind.RATE_LIMIT


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(
            ProviderError("Incorrect API key provided", status_code=401, provider="openai"),
            id="auth",
        ),
        pytest.param(
            ProviderError("The model `gpt-9` does not exist", status_code=404, provider="openai"),
            id="config_model_not_found",
        ),
        pytest.param(
            ProviderError(
                "You exceeded your current quota, please check your plan and billing details.",
                status_code=429,
                body='{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}',
                provider="openai",
            ),
            id="insufficient_quota_at_429",
        ),
        pytest.param(ValueError("a bug in our own code"), id="unknown_error_is_generic"),
    ],
)
async def test_non_retryable_error_stops_after_one_attempt(error: Exception) -> None:
    script, sleep, log = Script([error, overloaded()]), RecordingSleep(), RetryLog()
    with pytest.raises(RetryGaveUp) as caught:
        await run_with_retry(script, sleep=sleep, on_retry=log)
    gave_up = caught.value
    assert (script.attempts, sleep.delays, log.calls) == ([1], [], [])
    assert (gave_up.attempts, gave_up.reason) == (1, GiveUpReason.NOT_RETRYABLE)
    assert gave_up.classified == classify(error)
    assert not gave_up.classified.retryable
    assert gave_up.__cause__ is error


async def test_on_retry_receives_the_delay_that_is_then_slept() -> None:
    errors = [overloaded(retry_after="7"), rate_limited(retry_after_ms="2500"), overloaded()]
    script, sleep, log = Script(errors), RecordingSleep(), RetryLog()
    await run_with_retry(script, sleep=sleep, on_retry=log)
    assert log.delays == sleep.delays == [7.0, 2.5, 4.0]
    assert [(call[0], call[1]) for call in log.calls] == list(zip([1, 2, 3], errors, strict=True))
    assert [call[2] for call in log.calls] == [classify(error) for error in errors]


async def test_async_on_retry_is_awaited_before_the_sleep() -> None:
    order: list[str] = []

    async def on_retry(attempt: int, error: BaseException, c: ClassifiedError, d: float) -> None:
        order.append(f"on_retry {attempt} {d:g}")

    async def sleep(delay: float) -> None:
        order.append(f"sleep {delay:g}")

    await run_with_retry(Script([overloaded(), overloaded()]), on_retry=on_retry, sleep=sleep)
    assert order == ["on_retry 1 1", "sleep 1", "on_retry 2 2", "sleep 2"]


async def test_retry_after_longer_than_the_backoff_is_the_floor_in_the_loop() -> None:
    errors = [overloaded(retry_after="7") for _ in range(4)]
    sleep = RecordingSleep()
    await run_with_retry(Script(errors), sleep=sleep)
    assert sleep.delays == [7.0, 7.0, 7.0, 8.0]


async def test_jitter_in_the_loop_uses_the_injected_rng() -> None:
    sleep = RecordingSleep()
    await run_with_retry(
        Script([overloaded(), overloaded()]),
        policy=RetryPolicy(jitter=0.5),
        sleep=sleep,
        rng=lambda: 1.0,
    )
    assert sleep.delays == [1.5, 3.0]


async def test_provider_hint_reaches_the_classification() -> None:
    log = RetryLog()
    await run_with_retry(
        Script([ProviderError("Service Unavailable", status_code=503)]),
        sleep=RecordingSleep(),
        on_retry=log,
        provider="Azure OpenAI",
    )
    assert log.calls[0][2].provider == "azure"


NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("retry_after", "when"),
    [
        pytest.param("5400", "in 1 hour 30 minutes, at 2026-06-01 13:30:00 UTC", id="hours"),
        pytest.param("600.5", "in 11 minutes, at 2026-06-01 12:10:01 UTC", id="just_past"),
        pytest.param("172800", "in 2 days, at 2026-06-03 12:00:00 UTC", id="days"),
    ],
)
async def test_retry_after_beyond_the_ceiling_fails_at_once_saying_when(
    retry_after: str, when: str
) -> None:
    error = rate_limited(retry_after=retry_after)
    script, sleep, log = Script([error, overloaded()]), RecordingSleep(), RetryLog()
    with pytest.raises(RetryGaveUp, match="exceeds the ceiling") as caught:
        await run_with_retry(script, sleep=sleep, on_retry=log, clock=lambda: NOON)
    gave_up = caught.value
    assert (script.attempts, sleep.delays, log.calls) == ([1], [], [])
    assert (gave_up.attempts, gave_up.reason) == (1, GiveUpReason.RETRY_AFTER_CEILING)
    assert gave_up.__cause__ is error
    expected_message = (
        f"OpenAI accepts requests again {when}; that is longer than automatic retries wait. "
        "Send the message again after that time."
    )
    # Only the message changes: kind, status, provider and the hint stay as classified.
    assert gave_up.classified == dataclasses.replace(classify(error), message=expected_message)
    assert gave_up.classified.status_code == 429


async def test_a_lower_ceiling_is_honoured() -> None:
    with pytest.raises(RetryGaveUp) as caught:
        await run_with_retry(
            Script([overloaded(retry_after="30")]),
            policy=RetryPolicy(retry_after_ceiling=10),
            sleep=RecordingSleep(),
        )
    assert caught.value.reason == GiveUpReason.RETRY_AFTER_CEILING
    assert caught.value.classified.message.startswith(
        "Anthropic accepts requests again in 30 seconds"
    )
