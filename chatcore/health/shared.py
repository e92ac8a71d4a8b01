"""The runner's handle on provider health: admit an attempt, report its outcome, publish.

One ``SharedHealth`` per runner; each ``Turn`` calls it around its attempts. It runs the
store's functions through the runner's database callable, keeps the metrics
(``chatd_provider_breaker_state``, ``chatd_retry_budget_denied_total``) and publishes
``health.changed`` to ``HEALTH_GROUP`` whenever what a page shows changed. Runners are in
that group too: a breaker that closes wakes the chats waiting on it (``resume_delay``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chatcore.health import store
from chatcore.health.rules import STATE_VALUES, HealthConfig
from chatcore.health.view import HEALTH_CHANGED, HEALTH_GROUP, HealthView
from chatcore.metrics import TurnRecorder

__all__ = ["SharedHealth"]

log = logging.getLogger(__name__)

Database = Callable[..., Awaitable[Any]]


class SharedHealth:
    """Provider health as one runner uses it (``config.enabled`` is checked by the caller)."""

    def __init__(
        self,
        config: HealthConfig,
        *,
        layer: Any,
        db: Database,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.layer = layer
        self.db = db
        self.clock = clock
        self.rng = rng

    async def admit(
        self,
        provider_id: int,
        model: str,
        *,
        owner: str,
        retry: bool,
        resumed: bool,
        recorder: TurnRecorder,
    ) -> store.Gate:
        """Before an attempt: go now, or the shared deadline to wait for."""
        gate: store.Gate = await self.db(
            store.admit_attempt,
            provider_id,
            model,
            owner=owner,
            retry=retry,
            resumed=resumed,
            config=self.config,
            now=self.clock(),
        )
        recorder.health_state(STATE_VALUES[gate.state])
        if gate.budget_denied:
            recorder.budget_denied()
        await self.publish(gate.changed)
        return gate

    async def failed(
        self,
        provider_id: int,
        model: str,
        *,
        owner: str,
        kind: str,
        retryable: bool,
        retry_after: float,
        recorder: TurnRecorder,
    ) -> float | None:
        """After a failed attempt: the shared deadline no attempt starts before, if any."""
        failure: store.Failure = await self.db(
            store.record_failure,
            provider_id,
            model,
            kind=kind,
            retryable=retryable,
            retry_after=retry_after,
            owner=owner,
            config=self.config,
            now=self.clock(),
        )
        recorder.health_state(STATE_VALUES[failure.state])
        await self.publish(failure.changed)
        return failure.until

    async def answered(self, provider_id: int, model: str, *, recorder: TurnRecorder) -> None:
        """An attempt that saw failures (or probed) streamed: the provider answers again."""
        changed = await self.db(store.record_success, provider_id, model, now=self.clock())
        recorder.health_state(STATE_VALUES["ok"])
        await self.publish(changed)

    async def waiting(self, provider_id: int, model: str) -> None:
        """A chat began waiting on the provider: the status line's count may have moved."""
        await self.publish(await self.db(store.waiting_view, provider_id, model, now=self.clock()))

    def jitter(self) -> float:
        """A random share of ``resume_spread``: chats released together do not stampede."""
        return self.config.resume_spread * min(max(self.rng(), 0.0), 1.0)

    async def publish(self, view: HealthView | None) -> None:
        if view is None:
            return
        try:
            await self.layer.group_send(
                HEALTH_GROUP, {"type": HEALTH_CHANGED, "health": view.to_dict()}
            )
        except Exception:  # the pages catch up on their next load; the state is stored
            log.warning("could not publish provider health", exc_info=True)
