"""One row per published retry, so operators can see how a chat's turns fared."""

from __future__ import annotations

from django.db import models

from chatcore.models.chat import Chat

__all__ = ["ChatRetryEvent"]


class ChatRetryEvent(models.Model):
    """A retry the runner announced: which attempt failed, why, and when it retries."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="retry_events")
    attempt = models.PositiveIntegerField()
    # Plain strings rather than choices: a kind added to the classifier later
    # must not need a migration here.
    kind = models.CharField(max_length=32)
    # The configured provider's name (`Provider.name`), as metrics and logs name it.
    provider = models.CharField(max_length=100, blank=True)
    # The model of the failed attempt (a chat may switch models between turns).
    model = models.CharField(max_length=200, blank=True)
    status_code = models.PositiveSmallIntegerField(default=0)
    delay_ms = models.PositiveIntegerField()
    chain_broken = models.BooleanField(default=False)
    retrying_at = models.DateTimeField()
    # The wait was the provider's shared cooldown or breaker, not this chat's own backoff.
    shared = models.BooleanField(default=False)
    # A model fallback: the next attempt ran on `to_model` because of `reason`.
    to_model = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["chat", "created_at"], name="retry_event_chat_idx")]

    def __str__(self) -> str:
        return f"attempt {self.attempt}: {self.kind}"
