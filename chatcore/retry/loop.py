"""The retry loop: run an attempt until it succeeds, fails for good, or is cancelled."""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Protocol, TypeVar

from chatcore.errors import ClassifiedError, ErrorKind, classify
from chatcore.retry._ceiling import beyond_ceiling_classification
from chatcore.retry.policy import RetryPolicy

__all__ = [
    "GiveUpReason",
    "OnRetry",
    "Reroute",
    "RetryGaveUp",
    "RetryRecorder",
    "run_with_retry",
]

T = TypeVar("T")

OnRetry = Callable[[int, BaseException, ClassifiedError, float], Awaitable[None] | None]
"""``on_retry(attempt, error, classified, delay)``; sync or async."""

Reroute = Callable[[int, ClassifiedError], bool]
"""``reroute(attempt, classified)``: will the next attempt run elsewhere (a model fallback)?"""


class GiveUpReason(StrEnum):
    """Why the loop stopped without a result."""

    NOT_RETRYABLE = "not_retryable"
    EXHAUSTED = "exhausted"
    RETRY_AFTER_CEILING = "retry_after_ceiling"


class RetryGaveUp(Exception):
    """The loop stopped for good; ``classified`` is what to show and store.

    The attempt's own error is ``__cause__``. On exhaustion ``classified`` is the
    last classification unchanged: "max retry attempts exceeded" is for logs
    (this exception's text), the user keeps the provider's terminal message.
    """

    def __init__(
        self, text: str, *, classified: ClassifiedError, attempts: int, reason: GiveUpReason
    ) -> None:
        super().__init__(text)
        self.classified = classified
        self.attempts = attempts
        self.reason = reason


class RetryRecorder(Protocol):
    """Counts retries and terminal failures (see ``chatcore.metrics``)."""

    def record_retry(self, classified: ClassifiedError) -> None: ...

    def record_error(self, classified: ClassifiedError) -> None: ...


async def run_with_retry(
    attempt_fn: Callable[[int], Awaitable[T]],
    *,
    policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so sharing it is safe
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
    rng: Callable[[], float] = random.random,
    provider: str | None = None,
    recorder: RetryRecorder | None = None,
    reroute: Reroute | None = None,
) -> T:
    """Await ``attempt_fn(n)`` for n = 1, 2, … and return the first result.

    Each failure is classified (with ``provider`` as the hint). A retryable one
    is followed by ``on_retry`` with the effective delay and then a sleep of
    exactly that delay; anything else raises ``RetryGaveUp``. ``clock`` (epoch
    seconds) only dates the "accepts requests again" message. Cancellation is
    never caught: it propagates from the attempt, ``on_retry`` or the sleep.

    ``reroute`` is asked after every failed attempt first: True means the next
    attempt goes elsewhere (another model), so the failure is retried even where
    it would end the turn (a context-length error, retries exhausted) and the
    wait is the policy's shortest backoff (the failed target's Retry-After does
    not hold for the new one). The caller keeps the reroutes finite.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await attempt_fn(attempt)
        except Exception as error:
            _raise_if_cancelling(error)
            classified = classify(
                error, provider=provider, retry_ceiling=policy.retry_after_ceiling
            )
            rerouted = reroute is not None and reroute(attempt, classified)
            give_up = None if rerouted else _give_up(policy, classified, attempt, now=clock)
            if give_up is not None:
                if recorder is not None:
                    recorder.record_error(give_up.classified)
                raise give_up from error
            delay = policy.backoff(1) if rerouted else policy.delay(attempt, classified, rng=rng)
            if recorder is not None:
                recorder.record_retry(classified)
            if on_retry is not None:
                pending = on_retry(attempt, error, classified, delay)
                if inspect.isawaitable(pending):
                    await pending
        await sleep(delay)


def _give_up(
    policy: RetryPolicy, classified: ClassifiedError, attempt: int, *, now: Callable[[], float]
) -> RetryGaveUp | None:
    """The terminal outcome of a failed attempt, or None to retry it."""
    label = classified.kind or "error"
    # A rate limit asking for longer than the ceiling is already a usage limit; it
    # gets the same "accepts requests again at ..." message as a retryable one.
    waits_too_long = policy.beyond_ceiling(classified) and (
        classified.retryable or classified.kind == ErrorKind.USAGE_LIMIT
    )
    if not classified.retryable and not waits_too_long:
        return RetryGaveUp(
            f"{label} is not retryable (attempt {attempt}): {classified.message}",
            classified=classified,
            attempts=attempt,
            reason=GiveUpReason.NOT_RETRYABLE,
        )
    if waits_too_long:
        return RetryGaveUp(
            f"retry-after of {classified.retry_after:g}s exceeds the ceiling of "
            f"{policy.retry_after_ceiling:g}s (attempt {attempt})",
            classified=beyond_ceiling_classification(classified, now=now()),
            attempts=attempt,
            reason=GiveUpReason.RETRY_AFTER_CEILING,
        )
    if attempt >= policy.max_attempts:
        return RetryGaveUp(
            f"max retry attempts ({policy.max_attempts}) exceeded; last {label}: "
            f"{classified.message}",
            classified=classified,
            attempts=attempt,
            reason=GiveUpReason.EXHAUSTED,
        )
    return None


def _raise_if_cancelling(error: BaseException) -> None:
    """Re-raise cancellation that the attempt swallowed and turned into another error.

    The task's pending cancellation count survives such a swallow; honouring it
    here keeps Stop and shutdown prompt and guarantees no ``on_retry`` after
    cancellation.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error
