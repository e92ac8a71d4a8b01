"""Prometheus metrics of the runner (chatd); no Django, no state in the retry loop itself.

The loop takes a ``RetryRecorder``; the caller builds one per turn with
``RetryMetrics.for_turn(provider=..., model=...)``, because only the caller
knows the model. Tests pass a private ``CollectorRegistry``; the application
uses ``default_retry_metrics()``, registered once in the default registry.

The ``provider`` label is the configured provider's name (``Provider.name``,
the name the admin and the chat pages show: ``demo`` for the demo's fake
provider), never the classifier's vendor id, so two providers of one vendor
stay apart. Every series a (provider, model) pair can have is created at 0 as
soon as the pair is known (``declare``), so a rate over it is defined before
the first failure; docs/operations.md lists the series with example queries.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from chatcore.errors import ClassifiedError, ErrorKind

__all__ = [
    "RETRYABLE_KINDS",
    "TURN_OUTCOMES",
    "RetryMetrics",
    "TurnRecorder",
    "default_retry_metrics",
]

# How a turn can end: its answer stored, a terminal error, cancelled (a user's Stop,
# a runner shutting down and handing it back, or a lost lease), or our own bug.
TURN_OUTCOMES = ("done", "failed", "cancelled", "crashed")
# The kinds a retry can have (the classifier retries no other kind).
RETRYABLE_KINDS = (
    ErrorKind.OVERLOADED,
    ErrorKind.RATE_LIMIT,
    ErrorKind.TIMEOUT,
    ErrorKind.STARTUP_TIMEOUT,
    ErrorKind.GENERIC,
)
# Seconds: from a fast first token to a model that thinks for minutes.
_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
_DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_WAIT_BUCKETS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 120.0, 300.0, 600.0)


class RetryMetrics:
    """The runner's metrics in one registry: retries and errors, turns, latency, load."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = REGISTRY if registry is None else registry
        # --- Retries and terminal errors (the retry loop's RetryRecorder) ---
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
        # --- Turns: how they end, how long they take, how long retries wait ---
        self.turns = Counter(
            "chatd_turns_total",
            "Chat turns that ended, by outcome (done, failed, cancelled, crashed).",
            ["provider", "model", "outcome"],
            registry=self.registry,
        )
        self.first_token = Histogram(
            "chatd_turn_first_token_seconds",
            "Seconds from sending an attempt to its first text, per attempt that streamed.",
            ["provider", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.duration = Histogram(
            "chatd_turn_duration_seconds",
            "Seconds from a turn's start in the runner to its end, retries included.",
            ["provider", "model", "outcome"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.retry_wait = Histogram(
            "chatd_retry_wait_seconds",
            "The effective wait before each retry (backoff, or the provider's Retry-After).",
            ["provider", "model", "kind"],
            buckets=_WAIT_BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "chatd_fallbacks_total",
            "Turns that switched to a configured fallback model, by why "
            "(overloaded, breaker_open, context_length, rate_limit).",
            ["provider", "from_model", "to_model", "reason"],
            registry=self.registry,
        )
        self.active = Gauge(
            "chatd_active_turns",
            "Chat turns this process is running now (streaming or waiting to retry).",
            registry=self.registry,
        )
        # --- Provider health shared by every chat (chatcore.health) ---
        self.breaker_state = Gauge(
            "chatd_provider_breaker_state",
            "A provider/model's shared health as this runner last saw it: "
            "0 ok, 1 cooldown, 2 half_open (probing), 3 open.",
            ["provider", "model"],
            registry=self.registry,
        )
        self.budget_denied = Counter(
            "chatd_retry_budget_denied_total",
            "Retries the provider's retry budget held back (the chat waited, it did not fail).",
            ["provider"],
            registry=self.registry,
        )
        self._declared: set[tuple[str, str]] = set()

    def declare(self, *, provider: str, model: str) -> None:
        """Create every series of a (provider, model) pair at 0, once."""
        if (provider, model) in self._declared:
            return
        self._declared.add((provider, model))
        for kind in RETRYABLE_KINDS:
            self.retries.labels(provider=provider, model=model, kind=kind, chain_broken="false")
        self.retries.labels(
            provider=provider, model=model, kind=ErrorKind.GENERIC, chain_broken="true"
        )
        for kind in ErrorKind:
            self.errors.labels(provider=provider, model=model, kind=kind)
            if kind in RETRYABLE_KINDS:
                self.retry_wait.labels(provider=provider, model=model, kind=kind)
        for outcome in TURN_OUTCOMES:
            self.turns.labels(provider=provider, model=model, outcome=outcome)
            self.duration.labels(provider=provider, model=model, outcome=outcome)
        self.first_token.labels(provider=provider, model=model)
        self.breaker_state.labels(provider=provider, model=model)
        self.budget_denied.labels(provider=provider)

    def declare_fallback(
        self, *, provider: str, from_model: str, to_model: str, reasons: Iterable[str]
    ) -> None:
        """Create a configured fallback's series at 0, one per reason it can switch for."""
        for reason in reasons:
            self.fallbacks.labels(
                provider=provider, from_model=from_model, to_model=to_model, reason=reason
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

    def for_turn(
        self,
        *,
        model: str,
        provider: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> TurnRecorder:
        """A recorder for one turn (and ``run_with_retry``), its labels bound and declared."""
        if provider:
            self.declare(provider=provider, model=model)
        return TurnRecorder(self, model=model, provider=provider, clock=clock)


class TurnRecorder:
    """``RetryMetrics`` bound to one turn's provider and model (a ``RetryRecorder``)."""

    def __init__(
        self,
        metrics: RetryMetrics,
        *,
        model: str,
        provider: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metrics = metrics
        self.model = model
        self.provider = provider
        self._clock = clock
        self._started: float | None = None

    @property
    def _labels(self) -> dict[str, str]:
        return {"provider": self.provider or "", "model": self.model}

    def record_retry(self, classified: ClassifiedError) -> None:
        self.metrics.record_retry(classified, model=self.model, provider=self.provider)

    def record_error(self, classified: ClassifiedError) -> None:
        self.metrics.record_error(classified, model=self.model, provider=self.provider)

    def fallback(self, *, to_model: str, reason: str) -> None:
        """The turn switched model: counted once, and from now on its series name
        ``to_model`` (retries, errors and the outcome belong to the model that ran)."""
        self.metrics.fallbacks.labels(
            provider=self.provider or "", from_model=self.model, to_model=to_model, reason=reason
        ).inc()
        if self.provider:
            self.metrics.declare(provider=self.provider, model=to_model)
        self.model = to_model

    def turn_started(self) -> None:
        """The turn began running here: one more active turn, and its clock starts."""
        self._started = self._clock()
        self.metrics.active.inc()

    def turn_ended(self, outcome: str) -> None:
        """The turn ended with ``outcome`` (one of ``TURN_OUTCOMES``)."""
        if self._started is None:
            return
        elapsed = max(0.0, self._clock() - self._started)
        self._started = None
        self.metrics.active.dec()
        self.metrics.turns.labels(**self._labels, outcome=outcome).inc()
        self.metrics.duration.labels(**self._labels, outcome=outcome).observe(elapsed)

    def first_token(self, seconds: float) -> None:
        """An attempt's first text arrived ``seconds`` after it was sent."""
        self.metrics.first_token.labels(**self._labels).observe(max(0.0, seconds))

    def retry_wait(self, classified: ClassifiedError, seconds: float) -> None:
        """The loop waits ``seconds`` before retrying after ``classified``."""
        self.metrics.retry_wait.labels(**self._labels, kind=_kind(classified)).observe(
            max(0.0, seconds)
        )

    def health_state(self, value: int) -> None:
        """The provider/model's shared health (``STATE_VALUES`` of ``chatcore.health``)."""
        self.metrics.breaker_state.labels(**self._labels).set(value)

    def budget_denied(self) -> None:
        """The retry budget held a retry of this turn back."""
        self.metrics.budget_denied.labels(provider=self.provider or "").inc()


@functools.cache
def default_retry_metrics() -> RetryMetrics:
    """The process-wide metrics in the default registry (registering twice would fail)."""
    return RetryMetrics()


def _kind(classified: ClassifiedError) -> str:
    # An empty kind is normalised to generic everywhere else too.
    return classified.kind or ErrorKind.GENERIC
