"""Bounded waits on a channel layer that may be mid-outage.

`asyncio.wait_for` cancels the awaited call on timeout and then waits for it
to unwind; a channels-redis call caught in a Redis restart can take far longer
to unwind than the timeout, so the caller hangs anyway. Here the call runs as
its own task: on timeout it is cancelled and left to unwind on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LayerUnavailable", "bounded"]

T = TypeVar("T")


class LayerUnavailable(Exception):
    """The channel layer did not answer in time."""


async def bounded(call: Coroutine[Any, Any, T], seconds: float) -> T:
    """The call's result, or `LayerUnavailable` after ``seconds`` (its own errors pass through)."""
    task = asyncio.ensure_future(call)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        raise LayerUnavailable(f"no answer within {seconds:g}s")
    return task.result()


def _consume(task: asyncio.Task[Any]) -> None:
    # Retrieve the outcome so an abandoned call's error is not reported as unhandled.
    if not task.cancelled():
        task.exception()
