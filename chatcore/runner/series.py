"""The label sets the runner's metrics know before any turn: every enabled provider's models
and their configured fallbacks.

``/metrics`` and ``manage.py chatd --metrics-port`` declare them, so each series of
a configured (provider, model) pair is exported at 0 from the first scrape on.
"""

from __future__ import annotations

from chatcore.metrics import RetryMetrics
from chatcore.models import ModelFallback, Provider
from chatcore.runner.context import fallback_rule

__all__ = ["declare_known_series"]


def declare_known_series(metrics: RetryMetrics) -> None:
    """Create the series of every enabled provider, each model it offers and each fallback
    configured for them (sync ORM)."""
    for provider in Provider.objects.enabled():
        models = dict.fromkeys([*provider.model_names, provider.default_model.strip()])
        for model in models:
            if model:
                metrics.declare(provider=provider.name, model=model)
    fallbacks = ModelFallback.objects.filter(provider__enabled=True).select_related("provider")
    for row in fallbacks:
        metrics.declare_fallback(
            provider=row.provider.name,
            from_model=row.model,
            to_model=row.to_model,
            reasons=fallback_rule(row).reasons,
        )
