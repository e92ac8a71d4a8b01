"""The retry policy: exponential backoff with the provider's Retry-After as a floor."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from chatcore.errors import ClassifiedError

__all__ = ["RetryPolicy"]

# 2**64 seconds is far beyond any sane max_delay; capping the exponent keeps
# `backoff(10_000)` from overflowing a float.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait between attempts and when to stop.

    ``jitter`` is the fraction of the backoff added at random on top of the
    effective delay: it spreads retries of many chats apart and can only
    lengthen the wait, never shorten the provider's Retry-After floor.
    """

    initial_delay: float = 1.0
    max_delay: float = 60.0
    max_attempts: int = 25
    retry_after_ceiling: float = 600.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.initial_delay) and self.initial_delay > 0):
            raise ValueError(f"initial_delay must be positive, got {self.initial_delay!r}")
        if not (self.max_delay >= self.initial_delay and math.isfinite(self.max_delay)):
            raise ValueError(f"max_delay must be >= initial_delay, got {self.max_delay!r}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts!r}")
        if not self.retry_after_ceiling >= 0:
            raise ValueError(f"retry_after_ceiling must be >= 0, got {self.retry_after_ceiling!r}")
        if not (math.isfinite(self.jitter) and self.jitter >= 0):
            raise ValueError(f"jitter must be >= 0, got {self.jitter!r}")

    def backoff(self, attempt: int) -> float:
        """The local backoff after the 1-based ``attempt`` failed: 1, 2, 4, … capped."""
        if attempt < 1:
            raise ValueError(f"attempt is 1-based, got {attempt!r}")
        exponent = min(attempt - 1, _MAX_EXPONENT)
        return min(self.initial_delay * 2.0**exponent, self.max_delay)

    def delay(
        self,
        attempt: int,
        classified: ClassifiedError,
        *,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """The effective delay: ``max(backoff, retry_after)`` plus jitter on top.

        ``rng`` returns a float in [0, 1); tests pass a fixed one. It is not
        called at all when ``jitter`` is 0, so the default policy is exact.
        """
        backoff = self.backoff(attempt)
        floor = max(backoff, max(classified.retry_after, 0.0))
        if self.jitter == 0:
            return floor
        # Clamped so a misbehaving rng can neither shorten the floor nor explode it.
        fraction = min(max(rng(), 0.0), 1.0)
        return floor + backoff * self.jitter * fraction

    def beyond_ceiling(self, classified: ClassifiedError) -> bool:
        """True when the provider asks us to wait longer than we are willing to."""
        return classified.retry_after > self.retry_after_ceiling
