"""The label sets the runner's metrics know before any turn: every enabled provider's models.

``/metrics`` and ``manage.py chatd --metrics-port`` declare them, so each series of
a configured (provider, model) pair is exported at 0 from the first scrape on.
"""

from __future__ import annotations

from chatcore.metrics import RetryMetrics
from chatcore.models import Provider

__all__ = ["declare_known_series"]


def declare_known_series(metrics: RetryMetrics) -> None:
    """Create the series of every enabled provider and each model it offers (sync ORM)."""
    for provider in Provider.objects.enabled():
        models = dict.fromkeys([*provider.model_names, provider.default_model.strip()])
        for model in models:
            if model:
                metrics.declare(provider=provider.name, model=model)
