"""What users and operators ask of a chat: create, send, stop, retry now, clear, re-queue.

Synchronous ORM functions that decide and write; ``chatcore.chats.service``
runs them off the event loop and tells the runners. Sends are admitted in one
transaction: an idempotent repeat (same client request id, same content)
returns the first answer and queues nothing, while the same id with other
content is a conflict; a chat with a turn in flight refuses a second one; then
the user's own limits (``chatcore.chats.admission``: turns in flight, sends per
minute, turns per day) may refuse with a `usage_limit` `ChatError`.
A chat's first message gives it its title when it has none
(``titles.auto_title``, no provider call). Renaming, settings and deletion are
in ``chatcore.chats.manage``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chatcore.chats import admission, lifecycle
from chatcore.chats.admission import Limit, Limits
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
    # The client request id was used before for different content.
    CONFLICT = "conflict"
    BUSY = "busy"
    # Our own limits (``admission.Limit``): each a `usage_limit` `ChatError`.
    ACTIVE_LIMIT = "active_limit"
    RATE_LIMIT = "rate_limit"
    USAGE_LIMIT = "usage_limit"
    # Regenerate or edit of a message that is not the last answer / last question.
    NOT_LAST = "not_last"


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
    return _ask(chat, message, limits=limits, now=now)


def edit_last(
    chat: Chat,
    message_id: int,
    message: Outgoing,
    *,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> SendResult:
    """Send a new version of the last question; its answer is then written again."""
    return _ask(chat, message, limits=limits, now=now, editing=message_id)


def _ask(
    chat: Chat,
    message: Outgoing,
    *,
    limits: Limits | None,
    now: datetime | None,
    editing: int | None = None,
) -> SendResult:
    """A question sent (or, ``editing`` the last one, sent again): stored, its turn queued."""
    limits = Limits.from_settings() if limits is None else limits
    now = now or timezone.now()
    request_id = message.client_request_id or None
    with transaction.atomic():
        if request_id is not None:
            first = ChatMessage.objects.filter(chat=chat, client_request_id=request_id).first()
            if first is not None:
                return _repeat(first, message)
        refused = _admit(chat, limits, now)
        if refused is not None:
            return refused
        fields: dict[str, object] = {}
        if editing is not None:
            questions = [m for m in _shown(chat) if m.role == MessageRole.USER]
            if not questions or questions[-1].pk != editing:
                return SendResult(SendOutcome.NOT_LAST)
            old = questions[-1]
            # The old question and everything after it become an earlier version.
            ChatMessage.objects.filter(
                Q(pk=old.pk) | Q(reply_to=old) | Q(chat=chat, created_at__gt=old.created_at)
            ).update(active=False)
            fields["version_of_id"] = old.version_of_id or old.pk
        try:
            with transaction.atomic():
                stored = ChatMessage.objects.create(
                    chat=chat,
                    role=MessageRole.USER,
                    content=text_parts(message.content),
                    client_request_id=request_id,
                    **fields,
                )
        except IntegrityError:
            # A concurrent repeat of the same request id won the race.
            transaction.set_rollback(True)
            first = ChatMessage.objects.get(chat=chat, client_request_id=request_id)
            return _repeat(first, message)
        if not lifecycle.queue_turn(chat.pk):
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
        admission.record_send(chat.owner_id, now=now)
        # The first message names an untitled chat.
        title = auto_title(message.content)
        if title:
            Chat.objects.filter(pk=chat.pk, title="").update(title=title)
    return SendResult(SendOutcome.ACCEPTED, message=stored)


def _admit(chat: Chat, limits: Limits, now: datetime) -> SendResult | None:
    """Inside a send's transaction: why the chat cannot take a new turn now, if it cannot."""
    status = Chat.objects.filter(pk=chat.pk).values_list("status", flat=True).first()
    if status in ACTIVE_STATUSES:
        return SendResult(SendOutcome.BUSY)
    refusal = admission.admit(chat.owner_id, limits, now=now)
    if refusal is not None:
        transaction.set_rollback(True)  # a refused send leaves no trace
        return SendResult(
            _REFUSED_BY[refusal.limit], error=refusal.error, retry_after=refusal.retry_after
        )
    return None


def _shown(chat: Chat) -> list[ChatMessage]:
    return list(ChatMessage.objects.shown().filter(chat=chat).order_by("created_at", "id"))


def regenerate(
    chat: Chat,
    *,
    client_request_id: str = "",
    limits: Limits | None = None,
    now: datetime | None = None,
) -> SendResult:
    """Answer the last question again; the current answer becomes an earlier version.

    A new turn like a send: it counts towards the user's limits."""
    limits = Limits.from_settings() if limits is None else limits
    now = now or timezone.now()
    with transaction.atomic():
        if client_request_id:
            fresh = Chat.objects.filter(pk=chat.pk).values_list("last_regenerate_id", flat=True)
            if fresh.first() == client_request_id:
                return SendResult(SendOutcome.DUPLICATE)
        refused = _admit(chat, limits, now)
        if refused is not None:
            return refused
        shown = _shown(chat)
        if len(shown) < 2 or shown[-1].role != MessageRole.ASSISTANT:
            transaction.set_rollback(True)
            return SendResult(SendOutcome.NOT_LAST)
        answer, question = shown[-1], shown[-2]
        # An answer stored before versions existed learns its question now.
        reply_to = answer.reply_to_id or (question.pk if question.role == "user" else None)
        ChatMessage.objects.filter(pk=answer.pk).update(active=False, reply_to_id=reply_to)
        Chat.objects.filter(pk=chat.pk).update(last_regenerate_id=client_request_id)
        if not lifecycle.queue_turn(chat.pk):
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
        admission.record_send(chat.owner_id, now=now)
    return SendResult(SendOutcome.ACCEPTED, message=answer)


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
    last = ChatMessage.objects.shown().filter(chat=chat).order_by("-created_at", "-id").first()
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
