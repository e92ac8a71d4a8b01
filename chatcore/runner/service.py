"""Runners built from Django settings: the in-process one and ``manage.py chatd``.

Settings (environment variables, see docs/operations.md): ``CHAT_RUNNER``
(``inprocess``, the embedded default, or ``external`` when ``chatd`` workers
run the turns), ``CHAT_LEASE_SECONDS``, ``CHAT_STARTUP_TIMEOUT``,
``CHAT_MAX_TURNS``, ``CHAT_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from channels.layers import get_channel_layer
from django.conf import settings

from chatcore.retry import RetryPolicy
from chatcore.runner.turn import TurnSettings
from chatcore.runner.worker import Runner

__all__ = [
    "build_runner",
    "ensure_inprocess_runner",
    "inprocess_runner",
    "stop_inprocess_runner",
]

log = logging.getLogger(__name__)

_inprocess: dict[str, object] = {}

# How long a stopping server waits for the runner to hand its turns back.
SHUTDOWN_TIMEOUT = 5.0


def build_runner() -> Runner:
    return Runner(
        get_channel_layer(),
        settings=TurnSettings(
            policy=RetryPolicy(
                max_attempts=settings.CHAT_MAX_ATTEMPTS,
                retry_after_ceiling=settings.CHAT_RETRY_AFTER_CEILING,
            ),
            startup_timeout=settings.CHAT_STARTUP_TIMEOUT,
            lease_seconds=settings.CHAT_LEASE_SECONDS,
        ),
        max_turns=settings.CHAT_MAX_TURNS,
        poll_interval=settings.CHAT_POLL_INTERVAL,
    )


def inprocess_runner() -> Runner | None:
    runner = _inprocess.get("runner")
    return runner if isinstance(runner, Runner) else None


def ensure_inprocess_runner() -> None:
    """Start the embedded runner on the server's event loop, once: on the first
    request under Daphne (it has no lifespan events), at startup under a server
    that sends them (uvicorn)."""
    if settings.CHAT_RUNNER != "inprocess" or "task" in _inprocess or "stopped" in _inprocess:
        return
    runner = build_runner()
    task = asyncio.get_running_loop().create_task(runner.run(), name="chatd-inprocess")
    _inprocess["runner"] = runner
    _inprocess["task"] = task
    task.add_done_callback(_report_exit)
    _stop_with_twisted()
    log.info("in-process runner starting")


async def stop_inprocess_runner() -> None:
    """Stop the embedded runner: its turns go back to the queue with their leases
    released, so the next server (or another process) resumes them at once
    instead of after the lease expires."""
    _inprocess["stopped"] = True  # a request that comes in meanwhile starts no other
    task = _inprocess.get("task")
    if not isinstance(task, asyncio.Task) or task.done():
        return
    task.cancel()
    # Waits without taking on the runner's cancellation (ours still propagates).
    await asyncio.wait({task}, timeout=SHUTDOWN_TIMEOUT)
    log.info("in-process runner stopped")


def _stop_with_twisted() -> None:
    # Daphne sends no lifespan events, but runs on Twisted's asyncio reactor:
    # stop the runner before that reactor stops (SIGTERM, SIGINT).
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or _inprocess.get("twisted_trigger"):
        return
    from twisted.internet.defer import Deferred

    def before_shutdown() -> Deferred[None]:
        return Deferred.fromFuture(asyncio.ensure_future(stop_inprocess_runner()))

    _inprocess["twisted_trigger"] = reactor.addSystemEventTrigger(
        "before", "shutdown", before_shutdown
    )


def _report_exit(task: asyncio.Task[None]) -> None:
    _inprocess.pop("task", None)
    if not task.cancelled() and task.exception() is not None:
        log.error("in-process runner stopped", exc_info=task.exception())
