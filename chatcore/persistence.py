"""The small persistence service the runner, the web UI and the admin share.

Synchronous functions over the ORM (the async runner calls them through
``sync_to_async``). Writes are conditional UPDATEs on the chat row, so they do
not overwrite fields a concurrent request changed (a stop request, the lease).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from chatcore.errors import ClassifiedError, ErrorKind, terminal_message
from chatcore.models import (
    Chat,
    ChatMessage,
    ChatRetryEvent,
    ChatStatus,
    MessageRole,
    Provider,
    ProviderKind,
    decode_chat_error,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "clear_chat_error",
    "create_chat",
    "decode_chat_error",
    "preflight",
    "record_retry_event",
    "requeue_last_turn",
    "set_chat_error",
]

# A turn can be re-queued only when none is queued or running.
_REQUEUEABLE = (ChatStatus.FAILED, ChatStatus.IDLE)


def create_chat(*, owner: User, provider: Provider, model: str = "", title: str = "") -> Chat:
    """A new idle chat that remembers which provider key it starts with."""
    return Chat.objects.create(
        owner=owner,
        provider=provider,
        model=model or provider.default_model,
        title=title,
        api_key_ref=provider.key_id,
        # OpenAI Responses continues a conversation by `previous_response_id`.
        chain_mode=provider.kind == ProviderKind.OPENAI_RESPONSES,
    )


def record_retry_event(
    chat: Chat | int,
    attempt: int,
    classified: ClassifiedError,
    delay_seconds: float,
    retrying_at: datetime,
) -> ChatRetryEvent:
    """Store one published retry (the same delay the `ChatRetry` payload announced)."""
    return ChatRetryEvent.objects.create(
        chat_id=_chat_id(chat),
        attempt=attempt,
        kind=str(classified.kind or ErrorKind.GENERIC),
        provider=classified.provider,
        status_code=max(classified.status_code, 0),
        delay_ms=max(round(delay_seconds * 1000), 0),
        chain_broken=classified.chain_broken,
        retrying_at=retrying_at,
    )


def set_chat_error(
    chat: Chat, classified: ClassifiedError, *, status: ChatStatus = ChatStatus.FAILED
) -> None:
    """Persist the `ChatError` payload of a terminal failure and the chat's new status."""
    payload = classified.error_payload()
    now = timezone.now()
    Chat.objects.filter(pk=chat.pk).update(last_error=payload, status=status, updated_at=now)
    chat.last_error, chat.status, chat.updated_at = payload, status, now


def clear_chat_error(chat: Chat) -> None:
    """Forget the last error; a failed chat becomes idle (nothing else changes)."""
    now = timezone.now()
    Chat.objects.filter(pk=chat.pk).update(
        last_error=None,
        status=Case(When(status=ChatStatus.FAILED, then=Value(ChatStatus.IDLE)), default="status"),
        updated_at=now,
    )
    chat.last_error, chat.updated_at = None, now
    if chat.status == ChatStatus.FAILED:
        chat.status = ChatStatus.IDLE


def requeue_last_turn(chat: Chat) -> bool:
    """Queue the last user message's turn again; False when there is no such turn.

    Only a chat with no turn queued or running, whose last message is the
    user's (the turn that failed), is re-queued: it becomes ``pending`` with its
    error and stale run state cleared, and a runner picks it up.
    """
    with transaction.atomic():
        last = ChatMessage.objects.filter(chat_id=chat.pk).order_by("-created_at", "-id").first()
        if last is None or last.role != MessageRole.USER:
            return False
        now = timezone.now()
        updated = Chat.objects.filter(pk=chat.pk, status__in=_REQUEUEABLE).update(
            status=ChatStatus.PENDING,
            last_error=None,
            stop_requested=False,
            retry_now_requested_at=None,
            lease_owner="",
            lease_expires_at=None,
            live_state={},
            updated_at=now,
        )
    if updated:
        chat.refresh_from_db()
    return bool(updated)


def preflight(chat: Chat) -> ClassifiedError | None:
    """The error that stops a turn before it starts, already classified; None to go ahead.

    Reads the provider fresh: an administrator may have disabled it or removed
    its key since the chat was loaded. A chat started without any key (the fake
    provider, a keyless local server) cannot lose one.
    """
    provider = Provider.objects.get(pk=chat.provider_id)
    if not provider.enabled:
        return _preclassified(ErrorKind.PROVIDER_DISABLED, provider)
    if chat.api_key_ref is not None and not provider.has_key:
        return _preclassified(ErrorKind.MISSING_KEY, provider)
    return None


def _preclassified(kind: ErrorKind, provider: Provider) -> ClassifiedError:
    base = ClassifiedError(kind=kind, provider=provider.classifier_provider, retryable=False)
    return dataclasses.replace(base, message=terminal_message(base))


def _chat_id(chat: Chat | int) -> int:
    return chat if isinstance(chat, int) else chat.pk
