"""Provider health shared by every chat: cooldown, circuit breaker, retry budget, fallback.

``view`` is what the pages read; the runner's side (recording outcomes, gating attempts)
lives beside it.
"""

from __future__ import annotations

from chatcore.health.fallback import (
    Fallback,
    FallbackReason,
    FallbackRule,
    ModelRoute,
    fallback_message,
    select_fallback,
)
from chatcore.health.view import HEALTH_CHANGED, HEALTH_GROUP, HealthView, degraded, health_of

__all__ = [
    "HEALTH_CHANGED",
    "HEALTH_GROUP",
    "Fallback",
    "FallbackReason",
    "FallbackRule",
    "HealthView",
    "ModelRoute",
    "degraded",
    "fallback_message",
    "health_of",
    "select_fallback",
]
