"""A message of a chat's transcript: role, text parts, and what the provider reported."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from chatcore.models.chat import Chat

__all__ = ["ChatMessage", "ChatMessageQuerySet", "MessageRole", "text_parts"]


class MessageRole(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    SYSTEM = "system", "System"


def text_parts(text: str) -> list[dict[str, Any]]:
    """Message content holding one text part (the shape `ChatMessage.content` stores)."""
    return [{"type": "text", "text": text}]


class ChatMessageQuerySet(models.QuerySet["ChatMessage"]):
    def shown(self) -> ChatMessageQuerySet:
        """The transcript: the version of each message that is current (others are kept)."""
        return self.filter(active=True)


class ChatMessage(models.Model):
    """One persisted message; failed attempts' provisional text is never stored.

    Versions: regenerating an answer adds another answer to the same user
    message (``reply_to``); editing the last user message adds a version of it
    (``version_of`` its first version). One version of each is ``active``: it
    is what the transcript shows and what the provider is sent.
    """

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=MessageRole.choices)
    # A list of parts, e.g. [{"type": "text", "text": "..."}], so that other part
    # types can be added later without a schema change.
    content = models.JSONField(default=list, blank=True)
    provider_response_id = models.CharField(max_length=200, blank=True)
    # An answer's model: the one that actually ran (the chat's may have changed since).
    model = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    # Set by the client for a send; a repeat with the same id is the same send.
    # NULL (not "") means "no id", so that id-less messages never collide.
    client_request_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    # The user pressed Stop: this answer is what the attempt had written by then.
    stopped = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    # An answer's user message; the answers to one user message are its versions.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    # An edited user message's first version (None for a first version).
    version_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="edits"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChatMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["chat", "created_at", "id"], name="message_transcript_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "client_request_id"],
                condition=Q(client_request_id__isnull=False),
                name="message_unique_client_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"

    @property
    def text(self) -> str:
        """The concatenated text parts (other part types and malformed parts are skipped)."""
        if not isinstance(self.content, list):
            return self.content if isinstance(self.content, str) else ""
        return "".join(
            part["text"]
            for part in self.content
            if isinstance(part, dict)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
        )
