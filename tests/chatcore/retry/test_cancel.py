"""Cancellation (Stop, chat deleted, shutdown) ends the loop at once and is never swallowed."""

from __future__ import annotations

import asyncio

import pytest

from chatcore.errors import ClassifiedError, ProviderTransportReset
from chatcore.retry import RetryPolicy, run_with_retry
from tests.chatcore.retry.scripted import RecordingSleep, RetryLog, Script, overloaded

# Generous bound for "at once" on a loaded 2-core CI machine; a cancelled
# loop that kept waiting would block for the hour the fixtures sleep.
PROMPT = 2.0
AN_HOUR = 3_600.0


async def test_cancel_during_the_sleep_propagates_at_once() -> None:
    sleeping = asyncio.Event()
    log = RetryLog()

    async def sleep(delay: float) -> None:
        sleeping.set()
        await asyncio.sleep(AN_HOUR)

    script = Script([overloaded(), overloaded()])
    task = asyncio.create_task(run_with_retry(script, sleep=sleep, on_retry=log))
    await asyncio.wait_for(sleeping.wait(), PROMPT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PROMPT)
    assert task.cancelled()
    assert script.attempts == [1]
    assert len(log.calls) == 1  # the one before the interrupted sleep, none after


async def test_cancel_during_the_real_asyncio_sleep() -> None:
    retrying = asyncio.Event()
    calls: list[int] = []

    def on_retry(attempt: int, error: BaseException, c: ClassifiedError, d: float) -> None:
        calls.append(attempt)
        retrying.set()

    script = Script([overloaded(), overloaded()])
    hour_long = RetryPolicy(initial_delay=AN_HOUR, max_delay=AN_HOUR)
    task = asyncio.create_task(run_with_retry(script, policy=hour_long, on_retry=on_retry))
    # on_retry returns straight into the default sleep (asyncio.sleep) without
    # yielding, so once the event fires the task is inside that hour-long sleep.
    await asyncio.wait_for(retrying.wait(), PROMPT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PROMPT)
    assert (script.attempts, calls) == ([1], [1])


async def test_cancel_during_an_attempt_propagates_without_on_retry() -> None:
    started = asyncio.Event()
    sleep, log = RecordingSleep(), RetryLog()

    async def attempt(number: int) -> str:
        started.set()
        await asyncio.sleep(AN_HOUR)
        return "never"

    task = asyncio.create_task(run_with_retry(attempt, sleep=sleep, on_retry=log))
    await asyncio.wait_for(started.wait(), PROMPT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PROMPT)
    assert (sleep.delays, log.calls) == ([], [])


async def test_an_attempt_that_turns_cancellation_into_a_retryable_error_still_stops() -> None:
    # A provider adapter may catch CancelledError and raise its own reset error;
    # the task's pending cancellation must still win over a retry.
    started = asyncio.Event()
    sleep, log = RecordingSleep(), RetryLog()

    async def attempt(number: int) -> str:
        started.set()
        try:
            await asyncio.sleep(AN_HOUR)
        except asyncio.CancelledError:
            raise ProviderTransportReset("stream reset while closing") from None
        return "never"

    task = asyncio.create_task(run_with_retry(attempt, sleep=sleep, on_retry=log))
    await asyncio.wait_for(started.wait(), PROMPT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PROMPT)
    assert (sleep.delays, log.calls) == ([], [])


async def test_cancelled_error_raised_by_the_attempt_is_not_classified() -> None:
    sleep, log = RecordingSleep(), RetryLog()
    with pytest.raises(asyncio.CancelledError):
        await run_with_retry(Script([asyncio.CancelledError()]), sleep=sleep, on_retry=log)
    assert (sleep.delays, log.calls) == ([], [])


async def test_cancel_during_an_async_on_retry_skips_the_sleep() -> None:
    in_callback = asyncio.Event()
    sleep = RecordingSleep()

    async def on_retry(attempt: int, error: BaseException, c: ClassifiedError, d: float) -> None:
        in_callback.set()
        await asyncio.sleep(AN_HOUR)

    task = asyncio.create_task(
        run_with_retry(Script([overloaded()]), sleep=sleep, on_retry=on_retry)
    )
    await asyncio.wait_for(in_callback.wait(), PROMPT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PROMPT)
    assert sleep.delays == []
