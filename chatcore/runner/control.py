"""What the web asks of turns: send a message, stop, retry now, and the state to snapshot.

Sends are admitted in one transaction: an idempotent repeat (same client
request id) returns the first answer and queues nothing; a chat with a turn in
flight refuses a second one; the application's own daily turn limit refuses
with a `usage_limit` `ChatError` (the one case the UI offers "View usage").
Runners are then woken through the channel layer; they also poll, so a lost
wake-up only delays a turn by the poll interval.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chatcore import persistence
from chatcore.errors import ErrorKind
from chatcore.models import ACTIVE_STATUSES, Chat, ChatMessage, ChatStatus, MessageRole, text_parts
from chatcore.runner.worker import RUNNERS_GROUP

__all__ = [
    "MAX_MESSAGE_CHARS",
    "RetryNow",
    "SendOutcome",
    "SendResult",
    "notify_runners",
    "request_retry_now",
    "request_stop",
    "send_message",
    "storable_text",
    "turns_used_today",
    "usage_limit_error",
]

MAX_MESSAGE_CHARS = 32_000


def storable_text(text: str) -> bool:
    """Whether every database can store ``text``: PostgreSQL refuses NUL characters, and no
    driver encodes the lone surrogates a JSON ``\\ud800`` escape decodes to."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class SendOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    BUSY = "busy"
    USAGE_LIMIT = "usage_limit"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    message: ChatMessage | None = None
    error: dict[str, Any] | None = None


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def turns_used_today(owner_id: int, now: datetime | None = None) -> int:
    """User messages sent today (UTC) across the owner's chats: the turns counted by the limit."""
    now = now or timezone.now()
    return ChatMessage.objects.filter(
        chat__owner_id=owner_id, role=MessageRole.USER, created_at__gte=_day_start(now)
    ).count()


def usage_limit_error(limit: int, now: datetime | None = None) -> dict[str, Any]:
    """Our own limit as a `ChatError`: no provider, so the UI links to the usage page."""
    resets = _day_start(now or timezone.now()) + timedelta(days=1)
    return {
        "message": (
            f"You have used all {limit} turns of your daily limit. It resets at {resets:%H:%M} UTC."
        ),
        "kind": str(ErrorKind.USAGE_LIMIT),
        "retryable": False,
    }


def send_message(
    chat: Chat, content: str, *, client_request_id: str | None = None, turns_per_day: int = 0
) -> SendResult:
    """Store the user's message and queue the turn, or say why not. Validates nothing else."""
    request_id = (client_request_id or "").strip()[:200] or None
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
                message = ChatMessage.objects.create(
                    chat=chat,
                    role=MessageRole.USER,
                    content=text_parts(content),
                    client_request_id=request_id,
                )
        except IntegrityError:
            # A concurrent repeat of the same request id won the race.
            first = ChatMessage.objects.get(chat=chat, client_request_id=request_id)
            return SendResult(SendOutcome.DUPLICATE, message=first)
        queued = (
            Chat.objects.filter(pk=chat.pk)
            .exclude(status__in=ACTIVE_STATUSES)
            .update(
                status=ChatStatus.PENDING,
                last_error=None,
                live_state={},
                stop_requested=False,
                retry_now_requested_at=None,
                updated_at=timezone.now(),
            )
        )
        if not queued:
            transaction.set_rollback(True)
            return SendResult(SendOutcome.BUSY)
    return SendResult(SendOutcome.ACCEPTED, message=message)


async def notify_runners(layer: Any) -> None:
    """Wake every runner so the queued turn is claimed now rather than at the next poll."""
    await layer.group_send(RUNNERS_GROUP, {"type": "chatd.wake"})


def request_stop(chat: Chat) -> str:
    """Ask for the turn to stop; returns the lease owner to tell ("" if none holds it).

    A turn nobody has claimed yet is simply dequeued.
    """
    with transaction.atomic():
        Chat.objects.filter(pk=chat.pk, status=ChatStatus.PENDING, lease_owner="").update(
            status=ChatStatus.IDLE, updated_at=timezone.now()
        )
        Chat.objects.filter(pk=chat.pk, status__in=ACTIVE_STATUSES).update(stop_requested=True)
        row = Chat.objects.filter(pk=chat.pk).values("lease_owner").first()
    return str(row["lease_owner"]) if row else ""


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
        retry = (chat.live_state or {}).get("retry") or {}
        floor = _parse_time(retry.get("not_before"))
        if floor is not None and floor > now:
            return RetryNow("too_early", seconds_left=(floor - now).total_seconds())
        Chat.objects.filter(pk=chat.pk).update(retry_now_requested_at=now)
        return RetryNow("skipped", lease_owner=chat.lease_owner)
    if chat.status in (ChatStatus.FAILED, ChatStatus.IDLE) and persistence.requeue_last_turn(chat):
        return RetryNow("requeued")
    return RetryNow("nothing")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
