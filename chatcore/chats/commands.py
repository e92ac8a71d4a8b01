"""What users and operators ask of a chat: create, send, stop, retry now, clear, re-queue.

Synchronous ORM functions that decide and write; ``chatcore.chats.service``
runs them off the event loop and tells the runners. Sends are admitted in one
transaction: an idempotent repeat (same client request id) returns the first
answer and queues nothing; a chat with a turn in flight refuses a second one;
the application's own daily turn limit refuses with a `usage_limit`
`ChatError` (the one case the UI offers "View usage").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from chatcore.chats import lifecycle
from chatcore.chats.validation import Outgoing
from chatcore.contract import ChatError, parse_utc
from chatcore.models import (
    ACTIVE_STATUSES,
    Chat,
    ChatMessage,
    ChatStatus,
    MessageRole,
    Provider,
    ProviderKind,
    text_parts,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "RetryNow",
    "SendOutcome",
    "SendResult",
    "clear_error",
    "create_chat",
    "request_retry_now",
    "request_stop",
    "requeue_last_turn",
    "send",
    "turns_used_today",
    "usage_limit_error",
]


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


class SendOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    BUSY = "busy"
    USAGE_LIMIT = "usage_limit"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    message: ChatMessage | None = None
    error: ChatError | None = None


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def turns_used_today(owner_id: int, now: datetime | None = None) -> int:
    """User messages sent today (UTC) across the owner's chats: the turns counted by the limit."""
    now = now or timezone.now()
    return ChatMessage.objects.filter(
        chat__owner_id=owner_id, role=MessageRole.USER, created_at__gte=_day_start(now)
    ).count()


def usage_limit_error(limit: int, now: datetime | None = None) -> ChatError:
    """Our own daily limit as a `ChatError`: no provider, so the UI links to the usage page."""
    resets = _day_start(now or timezone.now()) + timedelta(days=1)
    return ChatError.usage_limit(
        f"You have used all {limit} turns of your daily limit. It resets at {resets:%H:%M} UTC."
    )


def send(chat: Chat, message: Outgoing, *, turns_per_day: int = 0) -> SendResult:
    """Store the user's (validated) message and queue the turn, or say why not."""
    request_id = message.client_request_id or None
    with transaction.atomic():
        if request_id is not None:
            first = ChatMessage.objects.filter(chat=chat, client_request_id=request_id).first()
            if first is not None:
                return SendResult(SendOutcome.DUPLICATE, message=first)
        status = Chat.objects.filter(pk=chat.pk).values_list("status", flat=True).first()
        if status in ACTIVE_STATUSES:
            return SendResult(SendOutcome.BUSY)
        if turns_per_day > 0 and turns_used_today(chat.owner_id) >= turns_per_day:
            return SendResult(SendOutcome.USAGE_LIMIT, error=usage_limit_error(turns_per_day))
        try:
            with transaction.atomic():
                stored = ChatMessage.objects.create(
                    chat=chat,
                    role=MessageRole.USER,
                    content=text_parts(message.content),
                    client_request_id=request_id,
                )
        except IntegrityError:
            # A concurrent repeat of the same request id won the race.
            first = ChatMessage.objects.get(chat=chat, client_request_id=request_id)
            return SendResult(SendOutcome.DUPLICATE, message=first)
        if not lifecycle.queue_turn(chat.pk):
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
    return SendResult(SendOutcome.ACCEPTED, message=stored)


def request_stop(chat: Chat) -> str:
    """Ask for the turn to stop; returns the lease owner to tell ("" if none holds it).

    A turn nobody has claimed yet is simply dequeued.
    """
    return lifecycle.dequeue_or_flag_stop(chat.pk)


@dataclass(frozen=True)
class RetryNow:
    """The answer to "Retry now": what happened, and the seconds left when refused."""

    action: str  # "skipped" | "requeued" | "too_early" | "nothing"
    seconds_left: float = 0.0
    lease_owner: str = ""


def request_retry_now(chat: Chat, *, now: datetime | None = None) -> RetryNow:
    """Skip the rest of a retry wait (never before the provider's Retry-After floor),
    or, after a terminal error, queue the last turn again."""
    chat.refresh_from_db()
    now = now or timezone.now()
    if chat.status == ChatStatus.WAITING_RETRY:
        retry = (chat.live_state or {}).get("retry") if isinstance(chat.live_state, dict) else None
        floor = parse_utc(retry.get("not_before")) if isinstance(retry, dict) else None
        if floor is not None and floor > now:
            return RetryNow("too_early", seconds_left=(floor - now).total_seconds())
        lifecycle.flag_retry_now(chat.pk, now)
        return RetryNow("skipped", lease_owner=chat.lease_owner)
    if chat.status in (ChatStatus.FAILED, ChatStatus.IDLE) and requeue_last_turn(chat):
        return RetryNow("requeued")
    return RetryNow("nothing")


def clear_error(chat: Chat) -> None:
    """Forget the last error; a failed chat becomes idle (nothing else changes)."""
    lifecycle.clear_error(chat.pk)
    chat.refresh_from_db(fields=["last_error", "status", "updated_at"])


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
        queued = lifecycle.queue_turn(chat.pk)
    if queued:
        chat.refresh_from_db()
    return queued
