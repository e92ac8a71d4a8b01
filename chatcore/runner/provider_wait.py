"""A turn's side of provider health: wait on the shared deadline, report each outcome.

``Turn`` calls four hooks (``before_attempt``, ``failed`` + ``announced``, ``mark_shared``,
``answered``); everything else about the shared state lives in ``chatcore.health``.

* Before each attempt the provider/model is asked whether it may be called now. While a
  cooldown, an open breaker, another chat's probe or the retry budget holds it back, the
  turn publishes a ``retry`` with ``shared: true`` and ``retrying_at`` = the shared
  deadline (the same for every chat; "Retry now" cannot skip it: it is the floor), stores
  a ``ChatRetryEvent`` with ``shared=True``, and sleeps in its ``RetryWait`` (the runner's
  slot is given back meanwhile). Chats released together are spread by a little jitter,
  which only ever lengthens a wait.
* A failure is reported first; when the shared deadline it leaves is later than the
  turn's own backoff, the retry waits for it and is announced as shared.
* The first text of an attempt that probed (or followed failures) closes the breaker.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chatcore.contract import ChatRetry
from chatcore.errors import ClassifiedError, ErrorKind
from chatcore.health.rules import Hold
from chatcore.health.shared import SharedHealth

if TYPE_CHECKING:
    from chatcore.runner.turn import Turn

__all__ = ["ProviderWait"]


class ProviderWait:
    """One turn's view of its provider/model's shared health."""

    def __init__(self, turn: Turn, health: SharedHealth) -> None:
        self.turn = turn
        self.health = health
        self.owner = f"{turn.owner}#{turn.ctx.chat_id}"  # a probe's claim names its turn
        # The (provider id, model) this turn waits on in a shared wait, else None.
        self.hold: tuple[int, str] | None = None
        # The wait ends early when the shared state changes (not a budget wait: the
        # budget's window does not end because a breaker moved).
        self.releasable = False
        self._until = 0.0  # the shared deadline of the announced wait
        self._resumed = False  # the next attempt follows a shared wait
        self._report_success = False  # the current attempt probed or saw failures
        self._last_failure: ClassifiedError | None = None

    @property
    def key(self) -> tuple[int, str]:
        """The (provider id, model) of the turn's next attempt (a fallback moves it)."""
        return self.turn.ctx.provider_key[0], self.turn.model

    async def before_attempt(self, number: int) -> None:
        """Wait while the provider's shared state holds every chat back."""
        turn = self.turn
        while True:
            gate = await self.health.admit(
                *self.key,
                owner=self.owner,
                retry=number > 1,
                resumed=self._resumed,
                recorder=turn.recorder,
            )
            if gate.admission.go:
                self.hold, self._resumed, self.releasable = None, False, False
                self._report_success = gate.report_success
                return
            hold, until = gate.admission.hold, gate.admission.until
            if hold in (Hold.OPEN, Hold.PROBING) and turn.route.choose("", breaker_open=True):
                # The model's breaker is open and it has a fallback: switch, don't wait.
                self.hold, self._resumed = None, False
                await turn.announce_fallback(number)
                continue
            self.releasable = hold is not Hold.BUDGET
            if self.hold is not None and (hold is Hold.PROBING or abs(until - self._until) < 1e-3):
                # Already showing this wait (or one that ends when the probe does: a
                # claim's expiry is a limit, not a time worth showing): wait on quietly.
                self._arm(hold, until)
            else:
                await self._announce_wait(number, hold, until, kind=gate.kind)
            await turn.wait.sleep(0.0)
            # A budget wait is charged again; any other was paced by the shared state.
            self._resumed = gate.admission.hold is not Hold.BUDGET

    async def gave_up(self, classified: ClassifiedError, *, share_retry_after: bool) -> None:
        """The turn's last attempt failed for good: still a failure of the provider (the
        breaker counts it if retryable; the admin's charts count it). A Retry-After
        beyond the ceiling is not shared: each chat fails on it as it would alone."""
        await self.health.failed(
            *self.key,
            owner=self.owner,
            kind=str(classified.kind or ErrorKind.GENERIC),
            retryable=classified.retryable,
            retry_after=classified.retry_after if share_retry_after else 0.0,
            recorder=self.turn.recorder,
        )

    async def failed(
        self, classified: ClassifiedError, delay: float, *, switching: bool = False
    ) -> tuple[float, ClassifiedError]:
        """Report a failed attempt; the retry's delay and classification, lengthened to
        the shared deadline when that is later (not when the next attempt ``switching``
        to a fallback model: the failed model's deadline does not hold for another)."""
        self._last_failure = classified
        self._until, self.hold, self._resumed = 0.0, None, False
        until = await self.health.failed(
            *self.key,
            owner=self.owner,
            kind=str(classified.kind or ErrorKind.GENERIC),
            retryable=classified.retryable,
            retry_after=classified.retry_after,
            recorder=self.turn.recorder,
        )
        remaining = (until or 0.0) - self.health.clock()
        if until is None or remaining < delay or switching:
            return delay, classified
        self._until, self.hold, self._resumed = until, self.key, True
        self.releasable = True
        # As the retry's floor, the shared deadline cannot be skipped by "Retry now".
        floor = max(classified.retry_after, remaining)
        return remaining, dataclasses.replace(classified, retry_after=floor)

    def mark_shared(self, retry: ChatRetry) -> ChatRetry:
        """The announced retry, marked shared with the shared deadline when it is one."""
        if self.hold is None:
            return retry
        until = datetime.fromtimestamp(self._until, UTC)
        return retry.with_fields(shared=True, retrying_at=until, not_before=until)

    async def announced(self) -> None:
        """After the retry was announced: spread the release, update the waiting count."""
        if self.hold is not None:
            self.turn.wait.lengthen(self.health.jitter())
            await self.health.waiting(*self.key)

    async def answered(self) -> None:
        """The attempt streams: if it probed or followed failures, the provider is back."""
        if self._report_success:
            self._report_success = False
            await self.health.answered(*self.key, recorder=self.turn.recorder)

    def _arm(self, hold: Hold, until: float) -> tuple[float, float]:
        """Arm the turn's wait for ``until`` (the floor); ``(now, delay)``."""
        now = self.health.clock()
        delay = max(0.0, until - now)
        self.turn.wait.arm(delay, delay, now=now)
        if hold is not Hold.PROBING:  # the probe's success wakes its waiters, spread
            self.turn.wait.lengthen(self.health.jitter())
        return now, delay

    async def _announce_wait(self, number: int, hold: Hold, until: float, *, kind: str) -> None:
        """Publish and record a wait on the shared deadline (no attempt failed for it)."""
        turn = self.turn
        now, delay = self._arm(hold, until)
        self.hold, self._until = self.key, until
        # Shown: this chat's own last failure, else what holds every chat back.
        classified = turn._shown(
            self._last_failure
            or ClassifiedError(
                kind=_known_kind(kind), provider=turn.provider_hint or "", retryable=True
            )
        )
        deadline = datetime.fromtimestamp(until, UTC)
        retry = ChatRetry.from_classified(
            classified, attempt=number - 1, delay=delay, now=datetime.fromtimestamp(now, UTC)
        ).with_fields(shared=True, retrying_at=deadline, not_before=deadline)
        turn.buffer.discard()
        await turn.publish_retry(retry, classified)
        await self.health.waiting(*self.key)


def _known_kind(kind: str) -> str:
    """An error kind to show for a hold (a stored value from an older version may not be)."""
    return kind if kind in set(ErrorKind) else ErrorKind.OVERLOADED
