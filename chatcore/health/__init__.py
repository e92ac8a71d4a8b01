"""Provider health shared by every chat: cooldown, circuit breaker, retry budget.

``rules`` and ``budget`` are the rules as pure functions (no Django, clock injected);
``store`` keeps the state in ``ProviderHealth`` rows shared by every runner process;
``shared`` is the runner's handle on it (``SharedHealth``); ``view`` is what the pages read.
"""

from __future__ import annotations

from chatcore.health.budget import Budget, allowed_retries, charge
from chatcore.health.fallback import (
    Fallback,
    FallbackReason,
    FallbackRule,
    ModelRoute,
    fallback_message,
    select_fallback,
)
from chatcore.health.rules import (
    BREAKER_KINDS,
    COOLDOWN_KINDS,
    STATE_VALUES,
    Admission,
    HealthConfig,
    HealthState,
    Hold,
    admit,
    effective_state,
    held_until,
    on_failure,
    on_success,
)
from chatcore.health.shared import SharedHealth
from chatcore.health.view import HEALTH_CHANGED, HEALTH_GROUP, HealthView, degraded, health_of

__all__ = [
    "BREAKER_KINDS",
    "COOLDOWN_KINDS",
    "HEALTH_CHANGED",
    "HEALTH_GROUP",
    "STATE_VALUES",
    "Admission",
    "Budget",
    "Fallback",
    "FallbackReason",
    "FallbackRule",
    "HealthConfig",
    "HealthState",
    "HealthView",
    "Hold",
    "ModelRoute",
    "SharedHealth",
    "admit",
    "allowed_retries",
    "charge",
    "degraded",
    "effective_state",
    "fallback_message",
    "health_of",
    "held_until",
    "on_failure",
    "on_success",
    "select_fallback",
]
