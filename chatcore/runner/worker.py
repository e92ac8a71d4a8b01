"""The runner: claims pending turns with a lease, runs them, and answers control messages.

One ``Runner`` per process (in-process in the embedded default, or
``manage.py chatd`` workers for scale-out). It listens on its own channel,
whose name is the lease owner written on every chat it runs, so the web
process can reach the runner of a chat directly:

wake-ups, stop, retry now and snapshot requests (the messages of
``chatcore.chats.messaging``).

Slots: a runner runs at most ``max_turns`` (``CHAT_MAX_TURNS``) attempts at
once. A turn sleeping in a retry wait gives its slot back for the wait and
takes one again before its next attempt (woken turns first, then new claims),
so one user's failing turns, each waiting out a retry, never hold the slots
another user's fresh turn needs. Waiting turns are not capped per runner (any
cap on them would be a slot by another name); they cost a lease renewal every
third of ``CHAT_LEASE_SECONDS`` each, and the users' own limit on turns in
flight (``CHAT_ACTIVE_TURNS_PER_USER``) bounds how many there are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from chatcore.chats import lifecycle, messaging
from chatcore.chats.messaging import RUNNERS_GROUP
from chatcore.contract import ChatError, Phase
from chatcore.errors import classify
from chatcore.health import HEALTH_CHANGED, HEALTH_GROUP, HealthConfig, SharedHealth
from chatcore.metrics import RetryMetrics, default_retry_metrics
from chatcore.providers import Adapter, build_adapter
from chatcore.runner.context import TurnContext, load_turn
from chatcore.runner.events import PUBLISH_TIMEOUT, ChatEvents, frame_interval_for
from chatcore.runner.turn import RetryWait, Turn, TurnSettings

__all__ = ["Runner"]

log = logging.getLogger(__name__)

_REJOIN_INTERVAL = 30.0


class _SlotWait(RetryWait):
    """A retry wait during which the turn gives its runner slot back."""

    def __init__(self, runner: Runner, turn: _Turn) -> None:
        super().__init__()
        self._runner, self._turn = runner, turn

    async def sleep(self, delay: float) -> None:
        self._runner._release_slot(self._turn)
        await super().sleep(delay)
        await self._runner._take_slot(self._turn)


@dataclass
class _Turn:
    task: asyncio.Task[None] | None = None
    events: ChatEvents | None = None
    run: Turn | None = None
    wait: RetryWait = field(default_factory=RetryWait)
    stop_reason: str = ""
    # In a retry wait: holds no slot.
    waiting: bool = False


def _with_reconnect(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one runner DB call; after a dropped connection, reconnect and try it once more.

    A runner lives for days outside any request cycle, so nothing else recycles
    its connection: a PostgreSQL restart or a terminated backend would otherwise
    fail every later call. Each call is one transaction (or one statement), so a
    call whose connection died was rolled back and is safe to run again.
    """
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        log.warning("database connection lost; reconnecting", exc_info=True)
        connection.close()
        return fn(*args, **kwargs)


async def _db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await sync_to_async(_with_reconnect, thread_sensitive=True)(fn, *args, **kwargs)


class Runner:
    """Claims and runs chat turns until cancelled; cancellation releases its leases."""

    def __init__(
        self,
        layer: Any,
        *,
        settings: TurnSettings | None = None,
        max_turns: int = 16,
        poll_interval: float = 1.0,
        metrics: RetryMetrics | None = None,
        db: Callable[..., Awaitable[Any]] = _db,
        publish_timeout: float | None = PUBLISH_TIMEOUT,
        health: HealthConfig | None = None,
    ) -> None:
        self.layer = layer
        self.publish_timeout = publish_timeout
        self.settings = settings or TurnSettings()
        self.max_turns = max_turns
        self.poll_interval = poll_interval
        self.metrics = metrics or default_retry_metrics()
        self.channel = ""
        self._db = db
        # Provider health shared with every runner (None: each chat retries on its own).
        self.health = (
            SharedHealth(health, layer=layer, db=db) if health and health.enabled else None
        )
        self._turns: dict[int, _Turn] = {}
        # The last (state, deadline) heard per provider/model, to wake waiters on changes.
        self._health_seen: dict[tuple[Any, Any], tuple[Any, Any]] = {}
        self._adapters: dict[tuple[int, str], Adapter] = {}
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._slot_wanted = 0  # woken turns waiting for a slot; they go before new claims
        self._joined_at = 0.0
        self.ready = asyncio.Event()

    @property
    def active_chats(self) -> list[int]:
        return list(self._turns)

    def _frame_interval(self) -> float:
        return frame_interval_for(len(self._turns))

    async def run(self) -> None:
        self.channel = await self.layer.new_channel()
        await self._join_groups()
        self._joined_at = time.monotonic()
        listener = asyncio.create_task(self._listen())
        self.ready.set()
        log.info("runner %s started", self.channel)
        try:
            failures = 0
            while True:
                await self._rejoin_group()
                try:
                    await self._claim_available()
                    failures = 0
                except Exception:
                    # The database is unreachable: keep the runner (and its running
                    # turns) alive and poll again with a capped backoff.
                    failures += 1
                    log.warning("claiming turns failed (%d); retrying", failures, exc_info=True)
                    await asyncio.sleep(min(self.poll_interval * failures, 10.0))
                    continue
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally
                # when the task is cancelled just as the event is set (every freed slot
                # sets it), and the runner would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            listener.cancel()
            await self._shutdown()

    async def _rejoin_group(self) -> None:
        """Renew our wake-up group membership now and then: a restarted Redis forgets it."""
        now = time.monotonic()
        if now - self._joined_at < _REJOIN_INTERVAL:
            return
        try:
            await self._join_groups()
            self._joined_at = now
        except Exception:
            log.warning("could not join the runners group; polling only", exc_info=True)

    async def _join_groups(self) -> None:
        await self.layer.group_add(RUNNERS_GROUP, self.channel)
        if self.health is not None:  # a breaker that closes wakes the chats waiting on it
            await self.layer.group_add(HEALTH_GROUP, self.channel)

    async def _shutdown(self) -> None:
        turns = list(self._turns.values())
        for turn in turns:
            turn.stop_reason = turn.stop_reason or "shutdown"
            if turn.task is not None:
                turn.task.cancel()
        await asyncio.gather(*(t.task for t in turns if t.task is not None), return_exceptions=True)
        for adapter in self._adapters.values():
            await adapter.aclose()
        self._adapters.clear()
        try:
            await self.layer.group_discard(RUNNERS_GROUP, self.channel)
            if self.health is not None:
                await self.layer.group_discard(HEALTH_GROUP, self.channel)
        except Exception:
            log.warning("could not leave the runners group", exc_info=True)
        log.info("runner %s stopped", self.channel)

    def _busy(self) -> int:
        """Slots in use: the turns not sleeping in a retry wait."""
        return sum(1 for turn in self._turns.values() if not turn.waiting)

    def _can_claim(self) -> bool:
        return self._busy() < self.max_turns and self._slot_wanted == 0

    def _slot_released(self) -> None:
        self._slot_freed.set()
        self._wake.set()  # claim now rather than at the next poll

    def _release_slot(self, turn: _Turn) -> None:
        turn.waiting = True
        self._slot_released()

    async def _take_slot(self, turn: _Turn) -> None:
        """After a retry wait: wait for a free slot (cancellable, like the wait itself)."""
        self._slot_wanted += 1
        try:
            while self._busy() >= self.max_turns:
                self._slot_freed.clear()
                await self._slot_freed.wait()
            turn.waiting = False
        finally:
            self._slot_wanted -= 1

    async def _claim_available(self) -> None:
        while self._can_claim():
            chat_id = await self._db(
                lifecycle.claim_next, self.channel, lease_seconds=self.settings.lease_seconds
            )
            if chat_id is None:
                return
            turn = _Turn()
            turn.wait = _SlotWait(self, turn)
            self._turns[chat_id] = turn
            turn.task = asyncio.create_task(self._run_turn(chat_id, turn))

    async def _run_turn(self, chat_id: int, turn: _Turn) -> None:
        renewer: asyncio.Task[None] | None = None
        try:
            ctx = await self._db(load_turn, chat_id)
            turn.events = ChatEvents(
                self.layer,
                chat_id,
                seq=ctx.seq,
                frame_interval=self._frame_interval,
                publish_timeout=self.publish_timeout,
                owner_id=ctx.owner_id,
            )
            renewer = asyncio.create_task(self._renew(chat_id, turn))
            turn.run = Turn(
                ctx,
                owner=self.channel,
                adapter=self._adapter(ctx),
                events=turn.events,
                settings=self._settings_for(ctx),
                metrics=self.metrics,
                wait=turn.wait,
                db=self._db,
                health=self.health,
            )
            await turn.run.run()
        except asyncio.CancelledError:
            await self._after_cancel(chat_id, turn)
            raise
        except Exception as exc:  # a bug or a database failure: fail the turn, keep the runner
            log.exception("turn of chat %s crashed", chat_id)
            await self._fail_crashed(chat_id, turn, exc)
        finally:
            if renewer is not None:
                renewer.cancel()
            if turn.events is not None:
                await turn.events.close()
            self._turns.pop(chat_id, None)
            self._slot_released()

    async def _after_cancel(self, chat_id: int, turn: _Turn) -> None:
        seq = turn.events.seq if turn.events is not None else 0
        if turn.stop_reason == "user" and turn.events is not None:
            await self._keep_stopped(chat_id, turn, turn.events)
        elif turn.stop_reason == "shutdown":
            await self._db(lifecycle.release, chat_id, self.channel, seq=seq)

    async def _keep_stopped(self, chat_id: int, turn: _Turn, events: ChatEvents) -> None:
        """Stop: keep what the attempt wrote as the answer (marked stopped), then say so."""
        text = turn.run.partial_text() if turn.run is not None else ""
        model = turn.run.model if turn.run is not None else ""  # after a fallback, to_model
        attempt = events.state.attempt
        # The checkpointed seq includes the event published right after.
        message_id = await self._db(
            lifecycle.finish_stopped,
            chat_id,
            self.channel,
            seq=events.seq + 1,
            text=text,
            model=model,
        )
        if message_id is not None:
            await events.done(message_id, attempt, stopped=True)
        else:
            await events.status(Phase.IDLE, attempt)

    async def _fail_crashed(self, chat_id: int, turn: _Turn, exc: Exception) -> None:
        error = ChatError.from_classified(classify(exc))
        try:
            if turn.events is not None:
                await turn.events.error(error, turn.events.state.attempt)
            seq = turn.events.seq if turn.events is not None else 0
            await self._db(lifecycle.finish_failed, chat_id, self.channel, error=error, seq=seq)
        except Exception:
            # The database is gone too: the lease expires and another runner retries.
            log.exception("could not record the failure of chat %s", chat_id)

    async def _renew(self, chat_id: int, turn: _Turn) -> None:
        interval = self.settings.lease_seconds / 3
        # The first renewal somewhere in the second half of an interval: turns
        # claimed together (a burst of sends) then do not all renew together.
        delay = interval * random.uniform(0.5, 1.0)
        while True:
            await asyncio.sleep(delay)
            delay = interval
            seq = turn.events.seq if turn.events is not None else 0
            try:
                state = await self._db(
                    lifecycle.renew,
                    chat_id,
                    self.channel,
                    lease_seconds=self.settings.lease_seconds,
                    seq=seq,
                )
            except Exception:
                log.warning("lease renewal for chat %s failed; retrying", chat_id, exc_info=True)
                continue
            if state == "held":
                continue
            if state == "finished":
                return  # the turn is publishing its last event; let it
            if state == "lost":
                log.warning("lost the lease of chat %s; abandoning the turn", chat_id)
                turn.stop_reason = "lost"
            else:
                turn.stop_reason = "user"
            if turn.task is not None:
                turn.task.cancel()
            return

    def _provider_changed(self, health: dict[str, Any]) -> None:
        """A provider/model's shared state changed: the turns waiting on it ask again
        (each then waits for the new deadline, or goes). Once it is ok they are spread
        over a moment, so they do not all call the provider in the same instant."""
        if self.health is None:
            return
        key = (health.get("provider_id"), health.get("model"))
        shown = (health.get("state"), health.get("until"))
        if self._health_seen.get(key) == shown:
            return  # only the waiting count moved: nobody's wait changes
        self._health_seen[key] = shown
        spread = shown[0] == "ok"
        loop = asyncio.get_running_loop()
        for turn in self._turns.values():
            waiting = turn.run.provider_wait if turn.run is not None else None
            if waiting is not None and waiting.hold == key and waiting.releasable:
                loop.call_later(self.health.jitter() if spread else 0.0, turn.wait.release)

    def _adapter(self, ctx: TurnContext) -> Adapter:
        adapter = self._adapters.get(ctx.provider_key)
        if adapter is None:
            adapter = build_adapter(ctx.provider)
            self._adapters[ctx.provider_key] = adapter
        return adapter

    def _settings_for(self, ctx: TurnContext) -> TurnSettings:
        if not ctx.provider.kind.startswith("fake"):
            return self.settings
        # The fake provider keeps its script state per conversation; one per turn
        # replays a demo scenario in every new chat and every new message.
        headers = {**self.settings.extra_headers, "X-Fake-Conversation": ctx.turn_key}
        return TurnSettings(
            policy=self.settings.policy,
            startup_timeout=self.settings.startup_timeout,
            lease_seconds=self.settings.lease_seconds,
            extra_headers=headers,
        )

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except Exception:
                # The channel layer is down (Redis restarting): keep running turns
                # (they poll the database) and listen again with a capped backoff.
                failures += 1
                log.warning("runner channel receive failed (%d)", failures, exc_info=True)
                await asyncio.sleep(min(0.5 * failures, 5.0))
                continue
            failures = 0
            try:
                await self._handle(message)
            except Exception:
                log.exception("runner control message failed: %r", message.get("type"))

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == messaging.WAKE:
            self._wake.set()
            return
        if kind == HEALTH_CHANGED:
            self._provider_changed(message.get("health") or {})
            return
        turn = self._turns.get(message.get("chat", -1))
        if kind == messaging.STOP and turn is not None and turn.task is not None:
            turn.stop_reason = "user"
            turn.task.cancel()
        elif kind == messaging.RETRY_NOW and turn is not None:
            turn.wait.skip()
        elif kind == messaging.SNAPSHOT and message.get("reply_channel"):
            live = turn.events.state.as_dict() if turn and turn.events else None
            await self.layer.send(
                message["reply_channel"],
                {"type": messaging.LIVE_STATE, "chat": message.get("chat"), "live": live},
            )
