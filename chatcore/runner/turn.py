"""One chat turn: the provider adapter through the retry loop, published live, persisted once.

How a turn goes (SPEC §7, §8, §12):

1. ``status: starting`` for attempt *n*; the adapter streams through the
   first-chunk guard; text deltas are buffered as provisional (``AttemptBuffer``)
   and published, coalesced, as ``delta`` events.
2. A failed attempt that will be retried publishes ``retry`` (the rollback
   boundary: every client drops the attempt's text), stores a
   ``ChatRetryEvent``, counts the retry, and sleeps the effective delay. A
   ``chain_broken`` failure also leaves chain mode and rebuilds the full history.
3. Success persists the one assistant message and publishes ``done``; a final
   failure persists ``last_error`` and publishes ``error``.

Stop policy: a stopped turn's partial answer is discarded like a failed
attempt's (nothing provisional is ever persisted); the user's message stays, so
sending again or "Try again" re-runs it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async

from chatcore.errors import ClassifiedError
from chatcore.metrics import RetryMetrics, TurnRecorder
from chatcore.providers import Adapter, Finish, TextDelta, TurnRequest
from chatcore.retry import (
    AttemptBuffer,
    GiveUpReason,
    RetryGaveUp,
    RetryPolicy,
    first_chunk_guard,
    run_with_retry,
)
from chatcore.runner import store
from chatcore.runner.events import ChatEvents

__all__ = ["RetryWait", "TurnSettings", "execute_turn"]


@dataclasses.dataclass(frozen=True)
class TurnSettings:
    policy: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    startup_timeout: float = 60.0
    lease_seconds: float = 15.0
    extra_headers: dict[str, str] = dataclasses.field(default_factory=dict)


class RetryWait:
    """The sleep between attempts, which "Retry now" may cut short, never below the floor.

    The floor is the provider's Retry-After: a request sent earlier would be
    refused again, so skipping the wait only ever skips our own backoff.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._wake = asyncio.Event()
        self.floor_at = 0.0
        self.deadline = 0.0

    def arm(self, delay: float, retry_after: float, *, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        self.deadline = now + delay
        self.floor_at = now + min(retry_after, delay)
        self._wake.clear()

    def seconds_until_floor(self) -> float:
        return max(0.0, self.floor_at - self._clock())

    def skip(self) -> bool:
        """Cut the current wait short; False (and nothing happens) before the floor."""
        if self.seconds_until_floor() > 0:
            return False
        self._wake.set()
        return True

    async def sleep(self, delay: float) -> None:
        remaining = self.deadline - self._clock()
        if remaining <= 0:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=remaining)
        except TimeoutError:
            return


async def execute_turn(
    ctx: store.TurnContext,
    *,
    owner: str,
    adapter: Adapter,
    events: ChatEvents,
    settings: TurnSettings,
    metrics: RetryMetrics,
    wait: RetryWait,
    db: Callable[..., Awaitable[Any]] | None = None,
) -> str:
    """Run the turn to its end and persist the outcome; returns "done" or "failed"."""
    call = db or _db
    provider_hint = ctx.classifier_provider or None
    # The fake provider imitates real wire formats; it must not be called "OpenAI"
    # to the user, nor counted as OpenAI in the metrics.
    anonymous = ctx.provider.kind.startswith("fake")
    recorder = metrics.for_turn(model=ctx.model, provider="fake" if anonymous else provider_hint)
    buffer: AttemptBuffer[str] = AttemptBuffer()
    chain = {"use": ctx.chain_mode and adapter.supports_chaining and bool(ctx.previous_response_id)}

    if ctx.preflight_error is not None:
        return await _fail(ctx, owner, events, ctx.preflight_error, 1, recorder, call)

    async def attempt(number: int) -> tuple[str, Finish]:
        buffer.begin(number)
        await events.status("starting", number)
        request = _request(ctx, settings, use_chain=chain["use"])
        finish: Finish | None = None
        streaming = False
        async for part in first_chunk_guard(
            adapter.stream(request), settings.startup_timeout, provider=provider_hint
        ):
            if isinstance(part, TextDelta):
                if not streaming:
                    streaming = True
                    await events.status("streaming", number)
                    await call(
                        store.mark_streaming, ctx.chat_id, owner, attempt=number, seq=events.seq
                    )
                buffer.add(part.text)
                await events.delta(part.text)
            elif isinstance(part, Finish):
                finish = part
        if finish is None:  # adapters raise on truncation; this guards a misbehaving one
            raise RuntimeError("provider stream closed before the response completed")
        return "".join(buffer.commit()), finish

    async def on_retry(
        number: int, error: BaseException, classified: ClassifiedError, delay: float
    ) -> None:
        classified = _shown(classified, anonymous=anonymous)
        buffer.discard()
        now = datetime.now(UTC)
        wait.arm(delay, classified.retry_after, now=now.timestamp())
        payload = classified.retry_payload(number, delay, now)
        # The provider's Retry-After floor: "Retry now" is refused before it.
        payload["not_before"] = min(_iso(wait.floor_at), payload["retrying_at"])
        clear_chain = classified.chain_broken
        if clear_chain:
            chain["use"] = False  # leave chain mode: the next attempt sends the full history
        await events.retry(payload, number)
        retrying_at = datetime.fromisoformat(payload["retrying_at"].replace("Z", "+00:00"))
        await call(
            store.mark_retrying,
            ctx.chat_id,
            owner,
            attempt=number,
            classified=classified,
            delay=delay,
            retrying_at=retrying_at,
            payload=payload,
            seq=events.seq,
            clear_chain=clear_chain,
        )

    try:
        text, finish = await run_with_retry(
            attempt,
            policy=settings.policy,
            on_retry=on_retry,
            sleep=wait.sleep,
            provider=provider_hint,
            recorder=recorder,
        )
    except RetryGaveUp as gave_up:
        buffer.discard()
        shown = _shown(
            gave_up.classified,
            anonymous=anonymous,
            keep_message=gave_up.reason == GiveUpReason.RETRY_AFTER_CEILING,
        )
        return await _fail(ctx, owner, events, shown, gave_up.attempts, None, call)
    await events.flush()
    # The checkpointed seq includes the `done` event published right after.
    message_id = await call(
        store.finish_ok,
        ctx.chat_id,
        owner,
        text=text,
        finish=finish,
        seq=events.seq + 1,
        store_response_id=adapter.supports_chaining,
    )
    if message_id is not None:
        await events.done(message_id, buffer.attempt)
    return "done"


async def _fail(
    ctx: store.TurnContext,
    owner: str,
    events: ChatEvents,
    classified: ClassifiedError,
    attempt: int,
    recorder: TurnRecorder | None,
    call: Callable[..., Awaitable[Any]],
) -> str:
    """Persist the terminal error, then publish it: a client that sees it can reload and find it."""
    if recorder is not None:  # the retry loop already counted its own give-ups
        recorder.record_error(classified)
    await call(store.finish_failed, ctx.chat_id, owner, classified=classified, seq=events.seq + 1)
    await events.error(classified.error_payload(), attempt)
    return "failed"


def _shown(
    classified: ClassifiedError, *, anonymous: bool, keep_message: bool = False
) -> ClassifiedError:
    """What the user sees: an anonymous (fake) provider is "the AI provider"."""
    if not anonymous or not classified.provider:
        return classified
    if keep_message:
        return dataclasses.replace(classified, provider="")
    return classified.with_provider("")


def _request(ctx: store.TurnContext, settings: TurnSettings, *, use_chain: bool) -> TurnRequest:
    headers = dict(settings.extra_headers)
    if use_chain:
        return TurnRequest(
            model=ctx.model,
            messages=ctx.new_input,
            previous_response_id=ctx.previous_response_id,
            extra_headers=headers,
        )
    return TurnRequest(model=ctx.model, messages=ctx.history, extra_headers=headers)


def _iso(epoch: float) -> str:
    """ISO-8601 UTC with milliseconds, the format of `retrying_at` (so they compare as text)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)
