"""What users and operators ask of a chat: create, send, stop, retry now, clear, re-queue.

Synchronous ORM functions that decide and write; ``chatcore.chats.service``
runs them off the event loop and tells the runners. Sends are admitted in one
transaction: an idempotent repeat (same client request id, same content)
returns the first answer and queues nothing, while the same id with other
content is a conflict; a chat with a turn in flight refuses a second one; then
the user's own limits (``chatcore.chats.admission``: turns in flight, sends per
minute, turns per day) may refuse with a `usage_limit` `ChatError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from chatcore.chats import admission, lifecycle
from chatcore.chats.admission import Limit, Limits
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
    # The client request id was used before for different content.
    CONFLICT = "conflict"
    BUSY = "busy"
    # Our own limits (``admission.Limit``): each a `usage_limit` `ChatError`.
    ACTIVE_LIMIT = "active_limit"
    RATE_LIMIT = "rate_limit"
    USAGE_LIMIT = "usage_limit"


_REFUSED_BY: dict[Limit, SendOutcome] = {
    Limit.ACTIVE_TURNS: SendOutcome.ACTIVE_LIMIT,
    Limit.SEND_RATE: SendOutcome.RATE_LIMIT,
    Limit.DAILY_TURNS: SendOutcome.USAGE_LIMIT,
}


@dataclass(frozen=True)
class SendResult:
    """What became of a send: the stored message, or why not (``error`` for our limits,
    with ``retry_after`` seconds when waiting lifts the limit)."""

    outcome: SendOutcome
    message: ChatMessage | None = None
    error: ChatError | None = None
    retry_after: float = 0.0


def _repeat(first: ChatMessage, message: Outgoing) -> SendResult:
    """A send whose client request id is stored already: the same send, or a conflict."""
    if first.text != message.content:
        return SendResult(SendOutcome.CONFLICT, message=first)
    return SendResult(SendOutcome.DUPLICATE, message=first)


def send(
    chat: Chat, message: Outgoing, *, limits: Limits | None = None, now: datetime | None = None
) -> SendResult:
    """Store the user's (validated) message and queue the turn, or say why not.

    ``limits`` defaults to the settings' (``Limits.from_settings``).
    """
    limits = Limits.from_settings() if limits is None else limits
    now = now or timezone.now()
    request_id = message.client_request_id or None
    with transaction.atomic():
        if request_id is not None:
            first = ChatMessage.objects.filter(chat=chat, client_request_id=request_id).first()
            if first is not None:
                return _repeat(first, message)
        status = Chat.objects.filter(pk=chat.pk).values_list("status", flat=True).first()
        if status in ACTIVE_STATUSES:
            return SendResult(SendOutcome.BUSY)
        refusal = admission.admit(chat.owner_id, limits, now=now)
        if refusal is not None:
            transaction.set_rollback(True)  # a refused send leaves no trace
            return SendResult(
                _REFUSED_BY[refusal.limit], error=refusal.error, retry_after=refusal.retry_after
            )
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
            return _repeat(first, message)
        if not lifecycle.queue_turn(chat.pk):
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
        admission.record_send(chat.owner_id, now=now)
    return SendResult(SendOutcome.ACCEPTED, message=stored)


def request_stop(chat: Chat) -> str:
    """Ask for the turn to stop; returns the lease owner to tell ("" if none holds it).

    A turn nobody has claimed yet is simply dequeued.
    """
    return lifecycle.dequeue_or_flag_stop(chat.pk)


@dataclass(frozen=True)
class RetryNow:
    """The answer to "Retry now" / "Try again": what happened, the seconds left when too
    early, and the `ChatError` when our own turns-in-flight limit refused a re-run."""

    action: str  # "skipped" | "requeued" | "too_early" | "refused" | "nothing"
    seconds_left: float = 0.0
    lease_owner: str = ""
    error: ChatError | None = None


def request_retry_now(
    chat: Chat, *, limits: Limits | None = None, now: datetime | None = None
) -> RetryNow:
    """Skip the rest of a retry wait (never before the provider's Retry-After floor),
    or, after a terminal error or a stop, queue the last turn again (within the
    user's limit of turns in flight)."""
    chat.refresh_from_db()
    now = now or timezone.now()
    if chat.status == ChatStatus.WAITING_RETRY:
        retry = (chat.live_state or {}).get("retry") if isinstance(chat.live_state, dict) else None
        floor = parse_utc(retry.get("not_before")) if isinstance(retry, dict) else None
        if floor is not None and floor > now:
            return RetryNow("too_early", seconds_left=(floor - now).total_seconds())
        lifecycle.flag_retry_now(chat.pk, now)
        return RetryNow("skipped", lease_owner=chat.lease_owner)
    if chat.status in (ChatStatus.FAILED, ChatStatus.IDLE):
        limits = Limits.from_settings() if limits is None else limits
        with transaction.atomic():
            if not _last_turn_is_the_users(chat):
                return RetryNow("nothing")
            refusal = admission.admit(chat.owner_id, limits, now=now, new_message=False)
            if refusal is not None:
                transaction.set_rollback(True)
                return RetryNow("refused", error=refusal.error)
            queued = lifecycle.queue_turn(chat.pk)
        if queued:
            chat.refresh_from_db()
            return RetryNow("requeued")
    return RetryNow("nothing")


def clear_error(chat: Chat) -> None:
    """Forget the last error; a failed chat becomes idle (nothing else changes)."""
    lifecycle.clear_error(chat.pk)
    chat.refresh_from_db(fields=["last_error", "status", "updated_at"])


def _last_turn_is_the_users(chat: Chat) -> bool:
    last = ChatMessage.objects.filter(chat_id=chat.pk).order_by("-created_at", "-id").first()
    return last is not None and last.role == MessageRole.USER


def requeue_last_turn(chat: Chat) -> bool:
    """An operator queues the last user message's turn again; False when there is none.

    Only a chat with no turn queued or running, whose last message is the
    user's (the turn that failed), is re-queued: it becomes ``pending`` with its
    error and stale run state cleared, and a runner picks it up. An operator's
    re-queue is not held to the user's own limits.
    """
    with transaction.atomic():
        if not _last_turn_is_the_users(chat):
            return False
        queued = lifecycle.queue_turn(chat.pk)
    if queued:
        chat.refresh_from_db()
    return queued
