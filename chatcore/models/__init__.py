"""The chat domain's models (app label ``chatcore``)."""

from __future__ import annotations

from chatcore.models.chat import ACTIVE_STATUSES, Chat, ChatQuerySet, ChatStatus
from chatcore.models.health import (
    BreakerState,
    ModelFallback,
    ProviderFailureMinute,
    ProviderHealth,
)
from chatcore.models.message import ChatMessage, ChatMessageQuerySet, MessageRole, text_parts
from chatcore.models.provider import Provider, ProviderKind, ProviderQuerySet
from chatcore.models.retry_event import ChatRetryEvent
from chatcore.models.usage import UsageCounter

__all__ = [
    "ACTIVE_STATUSES",
    "BreakerState",
    "Chat",
    "ChatMessage",
    "ChatMessageQuerySet",
    "ChatQuerySet",
    "ChatRetryEvent",
    "ChatStatus",
    "MessageRole",
    "ModelFallback",
    "Provider",
    "ProviderFailureMinute",
    "ProviderHealth",
    "ProviderKind",
    "ProviderQuerySet",
    "UsageCounter",
    "text_parts",
]
