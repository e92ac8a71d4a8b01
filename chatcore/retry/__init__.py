"""Retrying provider attempts: policy, loop, first-chunk guard, rollback boundary.

Pure Python and asyncio: nothing here imports Django.
"""

from __future__ import annotations

from chatcore.metrics import (
    RETRYABLE_KINDS,
    TURN_OUTCOMES,
    RetryMetrics,
    TurnRecorder,
    default_retry_metrics,
)
from chatcore.retry.buffer import AttemptBuffer
from chatcore.retry.guard import DEFAULT_STARTUP_TIMEOUT, FirstChunkTimeout, first_chunk_guard
from chatcore.retry.loop import (
    GiveUpReason,
    OnRetry,
    Reroute,
    RetryGaveUp,
    RetryRecorder,
    run_with_retry,
)
from chatcore.retry.policy import RetryPolicy

__all__ = [
    "DEFAULT_STARTUP_TIMEOUT",
    "RETRYABLE_KINDS",
    "TURN_OUTCOMES",
    "AttemptBuffer",
    "FirstChunkTimeout",
    "GiveUpReason",
    "OnRetry",
    "Reroute",
    "RetryGaveUp",
    "RetryMetrics",
    "RetryPolicy",
    "RetryRecorder",
    "TurnRecorder",
    "default_retry_metrics",
    "first_chunk_guard",
    "run_with_retry",
]
