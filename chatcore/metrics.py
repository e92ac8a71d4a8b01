"""Prometheus metrics of the retry loop; no Django, no state in the loop itself.

The loop takes a ``RetryRecorder``; the caller builds one per turn with
``RetryMetrics.for_turn(provider=..., model=...)``, because only the caller
knows the model. Tests pass a private ``CollectorRegistry``; the application
uses ``default_retry_metrics()``, registered once in the default registry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter

from chatcore.errors import ClassifiedError, ErrorKind

__all__ = ["RetryMetrics", "TurnRecorder", "default_retry_metrics"]


class RetryMetrics:
    """``chatd_stream_retries_total`` and ``chatd_stream_errors_total`` in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = REGISTRY if registry is None else registry
        self.retries = Counter(
            "chatd_stream_retries_total",
            "Provider stream attempts that failed and were retried.",
            ["provider", "model", "kind", "chain_broken"],
            registry=self.registry,
        )
        self.errors = Counter(
            "chatd_stream_errors_total",
            "Chat turns that failed for good (not retryable, retries exhausted, "
            "or Retry-After beyond the ceiling).",
            ["provider", "model", "kind"],
            registry=self.registry,
        )

    def record_retry(
        self, classified: ClassifiedError, *, model: str, provider: str | None = None
    ) -> None:
        """Count one retry of a turn on ``model``."""
        self.retries.labels(
            provider=provider or classified.provider,
            model=model,
            kind=_kind(classified),
            chain_broken="true" if classified.chain_broken else "false",
        ).inc()

    def record_error(
        self, classified: ClassifiedError, *, model: str, provider: str | None = None
    ) -> None:
        """Count one terminal failure of a turn on ``model``."""
        self.errors.labels(
            provider=provider or classified.provider, model=model, kind=_kind(classified)
        ).inc()

    def for_turn(self, *, model: str, provider: str | None = None) -> TurnRecorder:
        """A recorder for ``run_with_retry`` with this turn's labels bound."""
        return TurnRecorder(self, model=model, provider=provider)


@dataclass(frozen=True, slots=True)
class TurnRecorder:
    """``RetryMetrics`` bound to one turn's provider and model (a ``RetryRecorder``)."""

    metrics: RetryMetrics
    model: str
    provider: str | None = None

    def record_retry(self, classified: ClassifiedError) -> None:
        self.metrics.record_retry(classified, model=self.model, provider=self.provider)

    def record_error(self, classified: ClassifiedError) -> None:
        self.metrics.record_error(classified, model=self.model, provider=self.provider)


@functools.cache
def default_retry_metrics() -> RetryMetrics:
    """The process-wide metrics in the default registry (registering twice would fail)."""
    return RetryMetrics()


def _kind(classified: ClassifiedError) -> str:
    # An empty kind is normalised to generic everywhere else too.
    return classified.kind or ErrorKind.GENERIC
