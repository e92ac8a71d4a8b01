"""run_with_retry's ``reroute`` hook: a failure the caller sends elsewhere is retried."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chatcore.errors import ClassifiedError, ErrorKind, ProviderError
from chatcore.retry import GiveUpReason, RetryGaveUp, RetryPolicy, run_with_retry
from tests.chatcore.retry.scripted import RecordingSleep, RetryLog, Script, overloaded


def too_long() -> ProviderError:
    """OpenAI's context-length 400: never retryable on its own."""
    return ProviderError(
        "This model's maximum context length is 8192 tokens",
        status_code=400,
        body='{"error":{"message":"maximum context length","code":"context_length_exceeded"}}',
        provider="openai",
    )


@dataclass
class Reroutes:
    """A ``reroute`` that answers from a list (True: the next attempt goes elsewhere)."""

    answers: list[bool]
    asked: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, attempt: int, classified: ClassifiedError) -> bool:
        self.asked.append((attempt, classified.kind))
        return self.answers[len(self.asked) - 1] if len(self.asked) <= len(self.answers) else False


async def test_a_rerouted_non_retryable_failure_is_retried_after_the_shortest_backoff() -> None:
    script, sleep, log = Script([too_long()]), RecordingSleep(), RetryLog()
    reroute = Reroutes([True])
    policy = RetryPolicy(initial_delay=0.5)
    result = await run_with_retry(script, policy=policy, sleep=sleep, on_retry=log, reroute=reroute)
    assert result == "done"
    assert reroute.asked == [(1, ErrorKind.CONTEXT_LENGTH)]
    assert sleep.delays == [0.5] and log.delays == [0.5]
    assert log.calls[0][2].kind == ErrorKind.CONTEXT_LENGTH


async def test_without_a_reroute_the_same_failure_ends_the_turn() -> None:
    with pytest.raises(RetryGaveUp) as raised:
        await run_with_retry(Script([too_long()]), sleep=RecordingSleep(), reroute=Reroutes([]))
    assert raised.value.reason == GiveUpReason.NOT_RETRYABLE


async def test_a_reroute_ignores_the_failed_targets_retry_after_and_backoff() -> None:
    script, sleep = Script([overloaded(), overloaded(retry_after="30")]), RecordingSleep()
    await run_with_retry(script, sleep=sleep, reroute=Reroutes([False, True]))
    assert sleep.delays == [1.0, 1.0], "own backoff first, then the shortest for the new target"


async def test_a_reroute_goes_past_max_attempts() -> None:
    script, sleep = Script([overloaded(), overloaded()]), RecordingSleep()
    policy = RetryPolicy(max_attempts=2)
    assert await run_with_retry(script, policy=policy, sleep=sleep, reroute=Reroutes([False, True]))
    assert script.attempts == [1, 2, 3]
    with pytest.raises(RetryGaveUp) as raised:
        await run_with_retry(
            Script([overloaded(), overloaded()]), policy=policy, sleep=sleep, reroute=Reroutes([])
        )
    assert raised.value.reason == GiveUpReason.EXHAUSTED
