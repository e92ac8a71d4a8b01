"""What users and operators ask of a chat: create, send, stop, retry now, clear, re-queue.

Synchronous ORM functions that decide and write; ``chatcore.chats.service``
runs them off the event loop and tells the runners. Sends are admitted in one
transaction: an idempotent repeat (same client request id) returns the first
answer and queues nothing; a chat with a turn in flight refuses a second one;
the application's own daily turn limit refuses with a `usage_limit`
`ChatError` (the one case the UI offers "View usage"). A chat's first message
gives it its title when it has none (``titles.auto_title``, no provider call).
Renaming, settings and deletion are in ``chatcore.chats.manage``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chatcore.chats import lifecycle
from chatcore.chats.titles import auto_title
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
    "edit_last",
    "regenerate",
    "request_retry_now",
    "request_stop",
    "requeue_last_turn",
    "select_version",
    "send",
    "turns_used_today",
    "usage_limit_error",
]


def create_chat(
    *,
    owner: User,
    provider: Provider,
    model: str = "",
    title: str = "",
    system_prompt: str = "",
) -> Chat:
    """A new idle chat that remembers which provider key it starts with."""
    return Chat.objects.create(
        owner=owner,
        provider=provider,
        model=model or provider.default_model,
        title=title,
        system_prompt=system_prompt,
        api_key_ref=provider.key_id,
        # OpenAI Responses continues a conversation by `previous_response_id`.
        chain_mode=provider.kind == ProviderKind.OPENAI_RESPONSES,
    )


class SendOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    BUSY = "busy"
    USAGE_LIMIT = "usage_limit"
    # Regenerate or edit of a message that is not the last answer / last question.
    NOT_LAST = "not_last"


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
        refused = _admit(chat, turns_per_day)
        if refused is not None:
            return refused
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
        # The first message names an untitled chat.
        title = auto_title(message.content)
        if title:
            Chat.objects.filter(pk=chat.pk, title="").update(title=title)
    return SendResult(SendOutcome.ACCEPTED, message=stored)


def _admit(chat: Chat, turns_per_day: int) -> SendResult | None:
    """Inside a send's transaction: the refusal, if the chat cannot take a turn now."""
    status = Chat.objects.filter(pk=chat.pk).values_list("status", flat=True).first()
    if status in ACTIVE_STATUSES:
        return SendResult(SendOutcome.BUSY)
    if turns_per_day > 0 and turns_used_today(chat.owner_id) >= turns_per_day:
        return SendResult(SendOutcome.USAGE_LIMIT, error=usage_limit_error(turns_per_day))
    return None


def _shown(chat: Chat) -> list[ChatMessage]:
    return list(ChatMessage.objects.shown().filter(chat=chat).order_by("created_at", "id"))


def regenerate(chat: Chat, *, client_request_id: str = "", turns_per_day: int = 0) -> SendResult:
    """Answer the last question again; the current answer becomes an earlier version."""
    with transaction.atomic():
        if client_request_id:
            fresh = Chat.objects.filter(pk=chat.pk).values_list("last_regenerate_id", flat=True)
            if fresh.first() == client_request_id:
                return SendResult(SendOutcome.DUPLICATE)
        refused = _admit(chat, turns_per_day)
        if refused is not None:
            return refused
        shown = _shown(chat)
        if len(shown) < 2 or shown[-1].role != MessageRole.ASSISTANT:
            return SendResult(SendOutcome.NOT_LAST)
        answer, question = shown[-1], shown[-2]
        # An answer stored before versions existed learns its question now.
        reply_to = answer.reply_to_id or (question.pk if question.role == "user" else None)
        ChatMessage.objects.filter(pk=answer.pk).update(active=False, reply_to_id=reply_to)
        Chat.objects.filter(pk=chat.pk).update(last_regenerate_id=client_request_id)
        if not lifecycle.queue_turn(chat.pk):
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
    return SendResult(SendOutcome.ACCEPTED, message=answer)


def edit_last(
    chat: Chat, message_id: int, message: Outgoing, *, turns_per_day: int = 0
) -> SendResult:
    """Send a new version of the last question; its answer is then written again."""
    request_id = message.client_request_id or None
    with transaction.atomic():
        if request_id is not None:
            first = ChatMessage.objects.filter(chat=chat, client_request_id=request_id).first()
            if first is not None:
                return SendResult(SendOutcome.DUPLICATE, message=first)
        refused = _admit(chat, turns_per_day)
        if refused is not None:
            return refused
        questions = [m for m in _shown(chat) if m.role == MessageRole.USER]
        if not questions or questions[-1].pk != message_id:
            return SendResult(SendOutcome.NOT_LAST)
        old = questions[-1]
        ChatMessage.objects.filter(pk=old.pk).update(active=False)
        ChatMessage.objects.filter(reply_to=old, active=True).update(active=False)
        ChatMessage.objects.filter(chat=chat, created_at__gt=old.created_at, active=True).update(
            active=False
        )
        try:
            with transaction.atomic():
                stored = ChatMessage.objects.create(
                    chat=chat,
                    role=MessageRole.USER,
                    content=text_parts(message.content),
                    client_request_id=request_id,
                    version_of_id=old.version_of_id or old.pk,
                )
        except IntegrityError:
            transaction.set_rollback(True)
            first = ChatMessage.objects.get(chat=chat, client_request_id=request_id)
            return SendResult(SendOutcome.DUPLICATE, message=first)
        if not lifecycle.queue_turn(chat.pk):
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
    return SendResult(SendOutcome.ACCEPTED, message=stored)


def select_version(chat: Chat, message_id: int) -> bool:
    """Show another version of the last question or the last answer; False when that is
    not one (or a turn is in flight: the shown versions are what it is answering)."""
    with transaction.atomic():
        if Chat.objects.filter(pk=chat.pk, status__in=ACTIVE_STATUSES).exists():
            return False
        target = ChatMessage.objects.filter(chat=chat, pk=message_id).first()
        shown = _shown(chat)
        questions = [m for m in shown if m.role == MessageRole.USER]
        if target is None or not questions:
            return False
        question = questions[-1]
        if target.role == MessageRole.ASSISTANT:
            if target.reply_to_id != question.pk or shown[-1].role != MessageRole.ASSISTANT:
                return False
            ChatMessage.objects.filter(reply_to=question).update(active=False)
            ChatMessage.objects.filter(pk=target.pk).update(active=True)
            return True
        root = question.version_of_id or question.pk
        if (target.version_of_id or target.pk) != root:
            return False
        versions = ChatMessage.objects.filter(Q(pk=root) | Q(version_of_id=root))
        ChatMessage.objects.filter(reply_to__in=versions).update(active=False)
        versions.update(active=False)
        ChatMessage.objects.filter(pk=target.pk).update(active=True)
        latest = target.answers.order_by("-created_at", "-id").first()
        if latest is not None:
            ChatMessage.objects.filter(pk=latest.pk).update(active=True)
    return True


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
        last = ChatMessage.objects.shown().filter(chat=chat).order_by("-created_at", "-id").first()
        if last is None or last.role != MessageRole.USER:
            return False
        queued = lifecycle.queue_turn(chat.pk)
    if queued:
        chat.refresh_from_db()
    return queued
