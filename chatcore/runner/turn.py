"""One chat turn: the provider adapter through the retry loop, published live, persisted once.

How a turn goes:

1. ``status: starting`` for attempt *n*; the adapter streams through the
   first-chunk guard; text deltas are buffered as provisional (``AttemptBuffer``)
   and published, coalesced, as ``delta`` events.
2. A failed attempt that will be retried publishes ``retry`` (the rollback
   boundary: every client drops the attempt's text), stores a
   ``ChatRetryEvent``, counts the retry, and sleeps the effective delay. A
   ``chain_broken`` failure also leaves chain mode and rebuilds the full history.
3. Success persists the one assistant message and publishes ``done``; a final
   failure persists ``last_error`` and publishes ``error``.
4. A configured model fallback (``chatcore.health.fallback``) turns a failure into a
   retry on another model of the provider: the ``retry`` event names ``from_model``,
   ``to_model`` and ``reason``, the rollback boundary holds as for any retry, and the
   answer is stored with the model that wrote it.

Provider health (``chatcore.health``, when the runner passes ``health``): before each
attempt the turn asks whether the provider/model may be called now; while a shared
cooldown, an open breaker, another chat's probe or the retry budget holds it back, the
turn waits (its slot given back) and publishes a ``retry`` with ``shared: true`` whose
``retrying_at`` is the shared deadline, the same for every waiting chat. Each failure is
reported (it may set that deadline), and so is the first text of an attempt that probed.

Stop policy: what the current attempt has written when the user presses Stop
is kept as the answer, marked stopped (the runner persists ``partial_text()``
and publishes ``done``); a stop during a retry wait keeps nothing. A *failed*
attempt's text is still never kept: the rollback boundary is unchanged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async

from chatcore.chats import lifecycle
from chatcore.contract import ChatError, ChatRetry, Phase
from chatcore.errors import ClassifiedError, ErrorKind
from chatcore.health.fallback import ModelRoute
from chatcore.health.shared import SharedHealth
from chatcore.metrics import RetryMetrics
from chatcore.providers import Adapter, Finish, TextDelta, TurnRequest
from chatcore.retry import (
    AttemptBuffer,
    GiveUpReason,
    RetryGaveUp,
    RetryPolicy,
    first_chunk_guard,
    run_with_retry,
)
from chatcore.runner.context import TurnContext
from chatcore.runner.events import ChatEvents
from chatcore.runner.provider_wait import ProviderWait

__all__ = ["RetryWait", "Turn", "TurnSettings", "execute_turn"]

log = logging.getLogger(__name__)

Database = Callable[..., Awaitable[Any]]


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

    def lengthen(self, seconds: float) -> None:
        """Sleep ``seconds`` longer than armed (jitter after a shared deadline)."""
        self.deadline += max(0.0, seconds)

    def release(self) -> None:
        """End the wait now, floor or not: the shared hold it waited on is gone."""
        self._wake.set()

    def seconds_until_floor(self) -> float:
        return max(0.0, self.floor_at - self._clock())

    def skip(self) -> bool:
        """Cut the current wait short; False (and nothing happens) before the floor."""
        if self.seconds_until_floor() > 0:
            return False
        self._wake.set()
        return True

    async def sleep(self, delay: float) -> None:
        # A loop: the event loop's timer may fire a little before the wall clock's
        # deadline, and a shared deadline must not be anticipated even by a millisecond.
        while (remaining := self.deadline - self._clock()) > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=remaining)
            except TimeoutError:
                continue
            return


class Turn:
    """One run of a chat's turn; ``run()`` returns "done" or "failed"."""

    def __init__(
        self,
        ctx: TurnContext,
        *,
        owner: str,
        adapter: Adapter,
        events: ChatEvents,
        settings: TurnSettings,
        metrics: RetryMetrics,
        wait: RetryWait,
        db: Database | None = None,
        health: SharedHealth | None = None,
    ) -> None:
        self.ctx = ctx
        self.owner = owner
        self.adapter = adapter
        self.events = events
        self.settings = settings
        self.wait = wait
        self.db: Database = db or _db
        self.provider_hint = ctx.classifier_provider or None
        # The fake provider imitates real wire formats; it must not be called
        # "OpenAI" to the user.
        self.anonymous = ctx.provider.kind.startswith("fake")
        # Metrics and logs name the configured provider (its admin name, "demo" for
        # the demo), the same id the admin and the chat pages show.
        self.provider_label = ctx.provider.name
        self.recorder = metrics.for_turn(model=ctx.model, provider=self.provider_label)
        self._attempt_started = 0.0
        self._ended = False
        # The provider's shared health (cooldown, breaker, budget); None: off.
        self.provider_wait = ProviderWait(self, health) if health is not None else None
        self.buffer: AttemptBuffer[str] = AttemptBuffer()
        # The model the next attempt runs on: the chat's, until a fallback switches it.
        self.route = ModelRoute(ctx.model, ctx.fallbacks)
        # OpenAI Responses chain mode; left for good after a chain-broken failure.
        self.use_chain = (
            ctx.chain_mode and adapter.supports_chaining and bool(ctx.previous_response_id)
        )

    async def run(self) -> str:
        """Run the turn to its end; its outcome is counted whatever ends it."""
        self.recorder.turn_started()
        try:
            return await self._run()
        except asyncio.CancelledError:
            self._end("cancelled")
            raise
        except BaseException:
            self._end("crashed")  # our own fault (the runner logs it)
            raise

    def _end(self, outcome: str) -> None:
        """Count the turn's outcome, once: as soon as it is stored, before it is announced
        (a page may act on the announcement while this task is still finishing)."""
        if not self._ended:
            self._ended = True
            self.recorder.turn_ended(outcome)

    async def _run(self) -> str:
        if self.ctx.preflight_error is not None:
            return await self._fail(self.ctx.preflight_error, attempt=1, count=True)
        try:
            text, finish = await run_with_retry(
                self._attempt,
                policy=self.settings.policy,
                on_retry=self._on_retry,
                sleep=self.wait.sleep,
                provider=self.provider_hint,
                recorder=self.recorder,
                reroute=self._reroute if self.ctx.fallbacks else None,
            )
        except RetryGaveUp as gave_up:
            self.buffer.discard()
            if self.provider_wait is not None:
                await self.provider_wait.gave_up(
                    gave_up.classified,
                    share_retry_after=gave_up.reason != GiveUpReason.RETRY_AFTER_CEILING,
                )
            shown = self._shown(
                gave_up.classified,
                keep_message=gave_up.reason == GiveUpReason.RETRY_AFTER_CEILING,
            )
            # The retry loop already counted its own give-ups.
            return await self._fail(shown, attempt=gave_up.attempts, count=False)
        return await self._succeed(text, finish)

    async def _attempt(self, number: int) -> tuple[str, Finish]:
        """One provider call: stream it live, return the whole text once it finished."""
        if self.provider_wait is not None:
            await self.provider_wait.before_attempt(number)
        self.buffer.begin(number)
        self.route.attempt()
        self._attempt_started = time.monotonic()
        await self.events.status(Phase.STARTING, number)
        finish: Finish | None = None
        streaming = False
        stream = first_chunk_guard(
            self.adapter.stream(self._request()),
            self.settings.startup_timeout,
            provider=self.provider_hint,
        )
        async for part in stream:
            if isinstance(part, TextDelta):
                if not streaming:
                    streaming = True
                    await self._streaming(number)
                self.buffer.add(part.text)
                await self.events.delta(part.text)
            elif isinstance(part, Finish):
                finish = part
        if finish is None:  # adapters raise on truncation; this guards a misbehaving one
            raise RuntimeError("provider stream closed before the response completed")
        return "".join(self.buffer.commit()), finish

    async def _streaming(self, number: int) -> None:
        self.recorder.first_token(time.monotonic() - self._attempt_started)
        if self.provider_wait is not None:
            await self.provider_wait.answered()
        await self.events.status(Phase.STREAMING, number)
        await self.db(
            lifecycle.mark_streaming, self.ctx.chat_id, self.owner, attempt=number, seq=self.seq
        )

    async def _announce_retry(
        self, number: int, error: BaseException, classified: ClassifiedError, delay: float
    ) -> None:
        """The rollback boundary, published and recorded before the loop sleeps ``delay``."""
        self._log_failure(number, classified, retry_in=delay)
        self.recorder.retry_wait(classified, delay)
        classified = self._shown(classified)
        self.buffer.discard()
        now = datetime.now(UTC)
        self.wait.arm(delay, classified.retry_after, now=now.timestamp())
        retry = ChatRetry.from_classified(
            classified,
            attempt=number,
            delay=delay,
            now=now,
            # The provider's Retry-After floor: "Retry now" is refused before it.
            not_before=datetime.fromtimestamp(self.wait.floor_at, UTC),
        )
        if self.provider_wait is not None:
            retry = self.provider_wait.mark_shared(retry)
        retry = self.route.announce(retry)
        if classified.chain_broken:
            self.use_chain = False  # the next attempt sends the full history
        await self.publish_retry(retry, classified, clear_chain=classified.chain_broken)
        self._switch_model()

    async def _on_retry(
        self, number: int, error: BaseException, classified: ClassifiedError, delay: float
    ) -> None:
        """A failed attempt: told to the shared provider health (which may lengthen the
        wait to its shared deadline), then announced."""
        if self.provider_wait is not None:
            delay, classified = await self.provider_wait.failed(
                classified, delay, switching=self.route.pending is not None
            )
        await self._announce_retry(number, error, classified, delay)
        if self.provider_wait is not None:
            await self.provider_wait.announced()

    async def _succeed(self, text: str, finish: Finish) -> str:
        await self.events.flush()
        # The checkpointed seq includes the `done` event published right after.
        message_id = await self.db(
            lifecycle.finish_ok,
            self.ctx.chat_id,
            self.owner,
            text=text,
            finish=finish,
            seq=self.seq + 1,
            store_response_id=self.adapter.supports_chaining,
            model=self.model,
        )
        self._end("done")
        if message_id is not None:
            await self.events.done(message_id, self.buffer.attempt)
        return "done"

    async def _fail(self, classified: ClassifiedError, *, attempt: int, count: bool) -> str:
        """Persist the terminal error, then publish it: a client that sees it can reload
        and find it."""
        if count:
            self.recorder.record_error(classified)
        self._log_failure(attempt, classified, retry_in=None)
        error = ChatError.from_classified(classified)
        await self.db(
            lifecycle.finish_failed, self.ctx.chat_id, self.owner, error=error, seq=self.seq + 1
        )
        self._end("failed")
        await self.events.error(error, attempt)
        return "failed"

    @property
    def seq(self) -> int:
        return self.events.seq

    def _log_failure(
        self, attempt: int, classified: ClassifiedError, *, retry_in: float | None
    ) -> None:
        """One WARNING per handled provider failure: what and where, never its text.

        The provider's message can quote the request (or a key); the stored error
        and the admin hold it, the log holds only the facts to grep and count.
        """
        facts = {
            "chat": self.ctx.chat_id,
            "attempt": attempt,
            "kind": str(classified.kind or "generic"),
            "status": classified.status_code,
            "provider": self.provider_label,
        }
        then = "final" if retry_in is None else f"retrying in {retry_in:.1f}s"
        log.warning(
            "provider failure: chat=%s attempt=%s kind=%s status=%s provider=%s (%s)",
            *facts.values(),
            then,
            extra={**facts, "retry_in": retry_in},
        )

    def partial_text(self) -> str:
        """What the current attempt has streamed so far ("" between attempts)."""
        return "".join(self.buffer.parts) if self.buffer.is_open else ""

    def _request(self) -> TurnRequest:
        ctx = self.ctx
        headers = dict(self.settings.extra_headers)
        if self.use_chain:
            return TurnRequest(
                model=self.model,
                messages=ctx.new_input,
                previous_response_id=ctx.previous_response_id,
                extra_headers=headers,
            )
        return TurnRequest(model=self.model, messages=ctx.history, extra_headers=headers)

    @property
    def model(self) -> str:
        """The model of the current attempt (and of the answer, once it succeeds)."""
        return self.route.model

    def _reroute(self, attempt: int, classified: ClassifiedError) -> bool:
        """The retry loop asks after each failure: does the next attempt switch model?"""
        return self.route.choose(classified.kind)

    async def announce_fallback(self, number: int) -> None:
        """Before attempt ``number``: the model's breaker is open and ``route`` chose its
        fallback; published and recorded as a retry that switches model, without a wait."""
        classified = self._shown(
            ClassifiedError(
                kind=ErrorKind.OVERLOADED, provider=self.provider_hint or "", retryable=True
            )
        )
        now = datetime.now(UTC)
        self.wait.arm(0.0, 0.0, now=now.timestamp())
        retry = self.route.announce(
            ChatRetry.from_classified(classified, attempt=number - 1, delay=0.0, now=now)
        )
        self.buffer.discard()
        await self.publish_retry(retry, classified)
        self._switch_model()

    async def publish_retry(
        self, retry: ChatRetry, classified: ClassifiedError, *, clear_chain: bool = False
    ) -> None:
        """Publish a retry (every client drops the attempt's text), then record it."""
        await self.events.retry(retry)
        await self.db(
            lifecycle.mark_retrying,
            self.ctx.chat_id,
            self.owner,
            retry=retry,
            classified=classified,
            seq=self.seq,
            clear_chain=clear_chain,
            provider=self.provider_label,
            model=self.model,
        )

    def _switch_model(self) -> None:
        """After a fallback's retry is published and stored, the next attempt uses its
        model, with the full history (a Responses chain belongs to the model that began it)."""
        switch = self.route.switch()
        if switch is None:
            return
        log.info(
            "model fallback: chat=%s %s -> %s (%s)",
            self.ctx.chat_id,
            switch.from_model,
            switch.to_model,
            switch.reason,
        )
        self.recorder.fallback(to_model=switch.to_model, reason=switch.reason)
        self.use_chain = False

    def _shown(self, classified: ClassifiedError, *, keep_message: bool = False) -> ClassifiedError:
        """What the user sees: an anonymous (fake) provider is "the AI provider"."""
        if not self.anonymous or not classified.provider:
            return classified
        if keep_message:
            return dataclasses.replace(classified, provider="")
        return classified.with_provider("")


async def execute_turn(ctx: TurnContext, **options: Any) -> str:
    """Run a turn to its end and persist the outcome (``Turn(ctx, ...).run()``)."""
    return await Turn(ctx, **options).run()


async def _db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)
