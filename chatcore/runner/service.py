"""Runners built from Django settings: the in-process one and ``manage.py chatd``.

Settings (environment variables, see docs/operations.md): ``CHAT_RUNNER``
(``inprocess``, the embedded default, or ``external`` when ``chatd`` workers
run the turns), ``CHAT_LEASE_SECONDS``, ``CHAT_STARTUP_TIMEOUT``,
``CHAT_MAX_TURNS``, ``CHAT_MAX_ATTEMPTS``, and provider health (``CHAT_HEALTH``,
``CHAT_BREAKER_*``, ``CHAT_RETRY_BUDGET_*``, ``CHAT_HEALTH_RESUME_SPREAD``).
"""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings

from chatcore.health import HealthConfig
from chatcore.retry import RetryPolicy
from chatcore.runner.turn import TurnSettings
from chatcore.runner.worker import Runner

__all__ = [
    "build_runner",
    "ensure_inprocess_runner",
    "health_config",
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
        publish_timeout=settings.CHAT_PUBLISH_TIMEOUT,
        health=health_config(),
    )


def health_config() -> HealthConfig:
    """Provider health from the settings (docs/operations.md, "Provider health")."""
    return HealthConfig(
        enabled=settings.CHAT_HEALTH,
        breaker_failures=settings.CHAT_BREAKER_FAILURES,
        breaker_window=settings.CHAT_BREAKER_WINDOW,
        cooloff=settings.CHAT_BREAKER_COOLOFF,
        max_cooloff=settings.CHAT_BREAKER_MAX_COOLOFF,
        budget_ratio=settings.CHAT_RETRY_BUDGET_RATIO,
        budget_floor=settings.CHAT_RETRY_BUDGET_FLOOR,
        budget_window=settings.CHAT_RETRY_BUDGET_WINDOW,
        # A probe streams within the startup window or fails; a little more covers a
        # probe whose runner died before it could say so.
        probe_ttl=settings.CHAT_STARTUP_TIMEOUT + 5.0,
        resume_spread=settings.CHAT_HEALTH_RESUME_SPREAD,
    )


def inprocess_runner() -> Runner | None:
    runner = _inprocess.get("runner")
    return runner if isinstance(runner, Runner) else None


def ensure_inprocess_runner() -> bool:
    """Start the embedded runner on the server's event loop, once: on the first
    request under Daphne (it has no lifespan events), at startup under a server
    that sends them (uvicorn). True when this call started it."""
    if settings.CHAT_RUNNER != "inprocess" or "task" in _inprocess or "stopped" in _inprocess:
        return False
    runner = build_runner()
    task = asyncio.get_running_loop().create_task(runner.run(), name="chatd-inprocess")
    _inprocess["runner"] = runner
    _inprocess["task"] = task
    task.add_done_callback(_report_exit)
    log.info("in-process runner starting")
    return True


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


def _report_exit(task: asyncio.Task[None]) -> None:
    _inprocess.pop("task", None)
    if not task.cancelled() and task.exception() is not None:
        log.error("in-process runner stopped", exc_info=task.exception())
