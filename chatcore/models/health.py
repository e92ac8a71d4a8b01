"""Provider health shared by every chat: one row per (provider, model), failure counts per
minute for the admin's charts, and the fallback list an operator configures.

The rows are written by the runner (``chatcore.health``) and read by the pages; every runner
process reads and writes the same rows, so a cooldown one chat learned holds for all.
"""

from __future__ import annotations

from django.db import models

from chatcore.models.provider import Provider

__all__ = ["BreakerState", "ModelFallback", "ProviderFailureMinute", "ProviderHealth"]


class BreakerState(models.TextChoices):
    """What a provider/model's next attempt may do (the ``data-state`` hook of the pages)."""

    OK = "ok", "OK"
    COOLDOWN = "cooldown", "Cooling down"
    OPEN = "open", "Open"
    HALF_OPEN = "half_open", "Half-open (probing)"


class ProviderHealth(models.Model):
    """The shared health of one provider key and model.

    ``model`` empty is the key-wide row: a rate limit on the key holds every model of it.
    ``key_ref`` is the provider's ``key_id`` when the row was written (a new key starts
    healthy). Times are absolute (UTC): every process compares them to its own clock.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="health")
    model = models.CharField(max_length=200, blank=True)
    key_ref = models.UUIDField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=BreakerState.choices, default=BreakerState.OK)
    # No attempt of any chat starts before this (a Retry-After, a rate limit, an overload).
    cooldown_until = models.DateTimeField(null=True, blank=True)
    cooldown_kind = models.CharField(max_length=32, blank=True)
    # The breaker: consecutive retryable failures in the current window, and when it may
    # probe again once open. `opened_count` lengthens each cool-off after a failed probe.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failures_since = models.DateTimeField(null=True, blank=True)
    open_until = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveIntegerField(default=0)
    # The one probe in flight when half-open: which runner runs it, and until when that
    # claim holds (a runner killed mid-probe loses it, another runner probes).
    probe_owner = models.CharField(max_length=200, blank=True)
    probe_until = models.DateTimeField(null=True, blank=True)
    # The retry budget's window: first attempts and retries since `budget_since`.
    budget_since = models.DateTimeField(null=True, blank=True)
    first_attempts = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    # Chats currently waiting on this row's cooldown or breaker (for the status line).
    waiting = models.PositiveIntegerField(default=0)
    last_kind = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider__name", "model"]
        verbose_name = "provider health"
        verbose_name_plural = "provider health"
        constraints = [
            models.UniqueConstraint(fields=["provider", "model"], name="provider_health_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.model or '*'} {self.state}"


class ProviderFailureMinute(models.Model):
    """How many attempts on a provider/model failed with ``kind`` in one UTC minute."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=200, blank=True)
    minute = models.DateTimeField()
    kind = models.CharField(max_length=32)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["minute"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model", "minute", "kind"], name="provider_failure_minute"
            )
        ]
        indexes = [models.Index(fields=["minute"], name="provider_failure_minute_idx")]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.model} {self.minute:%H:%M} {self.kind}={self.count}"


class ModelFallback(models.Model):
    """One entry of a model's ordered fallback list (none by default).

    The next attempt of a turn on ``provider``/``model`` may run on ``to_model`` (a model
    of the same provider) when the provider is overloaded or its breaker open after
    ``after_attempts`` attempts, on a context-length error (``on_context_length``), and on
    a rate limit only if ``on_rate_limit``.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="fallbacks")
    model = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    to_model = models.CharField(max_length=200)
    after_attempts = models.PositiveSmallIntegerField(default=2)
    on_overloaded = models.BooleanField(default=True)
    on_context_length = models.BooleanField(default=False)
    on_rate_limit = models.BooleanField(default=False)

    class Meta:
        ordering = ["provider__name", "model", "position", "id"]

    def __str__(self) -> str:
        return f"{self.model} → {self.to_model}"
