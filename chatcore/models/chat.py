"""A chat: its owner, provider and model, run state for the runner, and its last error."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from chatcore.contract import ChatError
from chatcore.models.provider import Provider

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

__all__ = ["ACTIVE_STATUSES", "Chat", "ChatQuerySet", "ChatStatus"]


class ChatStatus(models.TextChoices):
    """Where the chat's current turn is."""

    IDLE = "idle", "Idle"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING_RETRY = "waiting_retry", "Waiting to retry"
    FAILED = "failed", "Failed"


# Statuses in which a turn is queued or in flight and a runner holds (or needs) a lease.
ACTIVE_STATUSES = (ChatStatus.PENDING, ChatStatus.RUNNING, ChatStatus.WAITING_RETRY)


class ChatQuerySet(models.QuerySet["Chat"]):
    def for_owner(self, user: AbstractBaseUser | AnonymousUser) -> ChatQuerySet:
        """The user's own chats; none for an anonymous user."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk)

    def failed(self) -> ChatQuerySet:
        return self.filter(status=ChatStatus.FAILED)

    def with_error(self) -> ChatQuerySet:
        return self.filter(last_error__isnull=False)

    def claimable(self, now: datetime) -> ChatQuerySet:
        """Turns a runner may claim: queued or in flight, with no live lease.

        A running chat whose lease expired belongs to a runner that died; it is
        claimable again so another runner finishes the turn.
        """
        no_live_lease = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
        return self.filter(no_live_lease, status__in=ACTIVE_STATUSES)


class Chat(models.Model):
    """One conversation with one provider and model."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chats"
    )
    title = models.CharField(max_length=200, blank=True)
    # PROTECT: chats keep their provider; operators disable a provider instead
    # of deleting it, and its chats then fail as `provider_disabled`.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="chats")
    # The model (and provider) of the next turn; switchable between turns.
    model = models.CharField(max_length=200)
    # Sent to the provider first, as the system message of every turn.
    system_prompt = models.TextField(blank=True, default="")
    # The owner's setting: may a turn switch to a configured fallback model? (Always shown.)
    allow_fallback = models.BooleanField(default=True)
    status = models.CharField(max_length=20, choices=ChatStatus.choices, default=ChatStatus.IDLE)
    # A `ChatError` (chatcore.contract); read it through `error`, which tolerates
    # malformed values. Migrated from a legacy text column (migration 0002).
    last_error = models.JSONField(null=True, blank=True)
    # OpenAI Responses chain state: the id of the last fully completed response.
    previous_response_id = models.CharField(max_length=200, blank=True)
    chain_mode = models.BooleanField(default=False)
    # The provider's `key_id` when the chat started: its removal is `missing_key`.
    api_key_ref = models.UUIDField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Sequence number of the last live event published for this chat.
    event_seq = models.PositiveBigIntegerField(default=0)
    # The runner's current phase, attempt and in-progress retry payload, so a
    # snapshot shows a retry with its original `retrying_at`.
    live_state = models.JSONField(default=dict, blank=True)
    stop_requested = models.BooleanField(default=False)
    # The client request id of the last "Regenerate": a repeat of it is the same request.
    last_regenerate_id = models.CharField(max_length=200, blank=True)
    retry_now_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChatQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="chat_claim_idx"),
            models.Index(fields=["owner", "-updated_at"], name="chat_owner_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.title or f"Chat {self.pk}"

    @property
    def error(self) -> ChatError | None:
        """The last error, or None; never raises on bad data (``ChatError.from_stored``)."""
        return ChatError.from_stored(self.last_error)

    @property
    def error_kind(self) -> str:
        """The last error's kind, or "" when there is none."""
        error = self.error
        return error.kind if error else ""
