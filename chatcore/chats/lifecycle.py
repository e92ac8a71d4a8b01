"""Every change of a chat's status, in one place: the turn's state machine.

::

    idle/failed --queue--> pending --claim--> running --retry--> waiting_retry
                               ^                 |  ^---attempt----'   |
                               '----release------+                     |
    running/waiting_retry --finish_ok/finish_stopped--> idle           |
                          --finish_failed-------------> failed <-------'

Synchronous ORM functions (the async runner and web call them through
``sync_to_async``); each is one conditional UPDATE (or one transaction), so
they never overwrite what a concurrent request changed. The runner's writes
after ``claim_next`` are conditional on its lease (``lease_owner``): a runner
that lost its lease can never persist over the new holder's work. None is
called per token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, OuterRef, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from chatcore.contract import ChatError, ChatRetry, Phase
from chatcore.errors import ClassifiedError
from chatcore.models import (
    ACTIVE_STATUSES,
    Chat,
    ChatMessage,
    ChatRetryEvent,
    ChatStatus,
    MessageRole,
    text_parts,
)
from chatcore.providers import Finish

__all__ = [
    "SEQ_JUMP",
    "claim_next",
    "clear_error",
    "dequeue_or_flag_stop",
    "finish_failed",
    "finish_ok",
    "finish_stopped",
    "flag_retry_now",
    "mark_retrying",
    "mark_streaming",
    "queue_turn",
    "release",
    "renew",
]

# A runner that takes over a dead runner's turn cannot know how many events the
# dead one published after its last write; jumping the sequence makes every
# client see a gap and resynchronise from a snapshot instead of ignoring events.
SEQ_JUMP = 100_000


def _turn_over() -> dict[str, Any]:
    """The fields that end a turn's run: no lease, no live state, no pending requests."""
    return {
        "lease_owner": "",
        "lease_expires_at": None,
        "live_state": {},
        "stop_requested": False,
        "retry_now_requested_at": None,
        "updated_at": timezone.now(),
    }


def _ours(chat_id: int, owner: str) -> Any:
    return Chat.objects.filter(pk=chat_id, lease_owner=owner)


# -- what users (and operators) ask -------------------------------------------


def queue_turn(chat_id: int) -> bool:
    """Queue a turn (a send, "Try again", a re-queue): False when one is already in flight."""
    return bool(
        Chat.objects.filter(pk=chat_id)
        .exclude(status__in=ACTIVE_STATUSES)
        .update(status=ChatStatus.PENDING, last_error=None, **_turn_over())
    )


def dequeue_or_flag_stop(chat_id: int) -> str:
    """Stop the turn: a queued one nobody claimed is dequeued; a claimed one is flagged.

    Returns the lease owner to tell ("" when no runner holds the turn).
    """
    with transaction.atomic():
        Chat.objects.filter(pk=chat_id, status=ChatStatus.PENDING, lease_owner="").update(
            status=ChatStatus.IDLE, updated_at=timezone.now()
        )
        Chat.objects.filter(pk=chat_id, status__in=ACTIVE_STATUSES).update(stop_requested=True)
        row = Chat.objects.filter(pk=chat_id).values("lease_owner").first()
    return str(row["lease_owner"]) if row else ""


def flag_retry_now(chat_id: int, now: datetime) -> None:
    """Record "Retry now" (the runner that holds the turn also gets a message)."""
    Chat.objects.filter(pk=chat_id).update(retry_now_requested_at=now)


def clear_error(chat_id: int) -> None:
    """Forget the last error; a failed chat becomes idle (nothing else changes)."""
    Chat.objects.filter(pk=chat_id).update(
        last_error=None,
        status=Case(When(status=ChatStatus.FAILED, then=Value(ChatStatus.IDLE)), default="status"),
        updated_at=timezone.now(),
    )


# -- what the runner does --------------------------------------------------------


def _fair_order(claimable: QuerySet[Chat], now: datetime) -> QuerySet[Chat]:
    """Claimable turns, fairest first: round-robin across their owners.

    A turn's place is the number of its owner's turns that runners hold now
    plus its rank among its owner's waiting turns (oldest first), so a user
    with 20 turns queued or running is served once for every other user's
    first turn; ties go to the oldest. Every runner claims in this order, so it
    is fair across runners too.
    """
    held_by_owner = (
        Chat.objects.filter(
            owner_id=OuterRef("owner_id"), status__in=ACTIVE_STATUSES, lease_expires_at__gt=now
        )
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rank = Window(RowNumber(), partition_by=[F("owner_id")], order_by=[F("updated_at"), F("id")])
    return claimable.annotate(place=Coalesce(Subquery(held_by_owner), Value(0)) + rank).order_by(
        "place", "updated_at", "id"
    )


def claim_next(owner: str, *, lease_seconds: float, now: datetime | None = None) -> int | None:
    """Claim the fairest claimable turn (``_fair_order``); exactly one concurrent claimer
    wins each chat."""
    now = now or timezone.now()
    fairest = _fair_order(Chat.objects.claimable(now), now)
    candidates: list[int] = list(fairest.values_list("pk", flat=True)[:8])
    for chat_id in candidates:
        # One conditional UPDATE: the database re-checks "claimable" atomically,
        # so of several runners racing for this chat exactly one updates a row.
        won = (
            Chat.objects.claimable(now)
            .filter(pk=chat_id)
            .update(
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                event_seq=Case(
                    When(status=ChatStatus.PENDING, then=F("event_seq")),
                    default=F("event_seq") + SEQ_JUMP,
                ),
                status=ChatStatus.RUNNING,
                stop_requested=False,
                retry_now_requested_at=None,
                updated_at=now,
            )
        )
        if won:
            return chat_id
    return None


def renew(chat_id: int, owner: str, *, lease_seconds: float, seq: int) -> str:
    """Extend our lease and checkpoint the sequence number.

    Returns "held", "stop" (the user asked to stop: the fallback for a stop
    message the channel layer dropped), "finished" (no lease any more: the turn
    itself just persisted its outcome) or "lost" (another runner holds it now).
    """
    now = timezone.now()
    extended = {"lease_expires_at": now + timedelta(seconds=lease_seconds), "event_seq": seq}
    # One query when nothing changed (every chat renews every few seconds).
    if _ours(chat_id, owner).filter(stop_requested=False).update(**extended):
        return "held"
    holder = Chat.objects.filter(pk=chat_id).values_list("lease_owner", flat=True).first()
    if not holder:
        return "finished"
    if holder != owner:
        return "lost"
    # Still ours, so the stop flag is what the update did not match.
    _ours(chat_id, owner).update(**extended)
    return "stop"


def mark_streaming(chat_id: int, owner: str, *, attempt: int, seq: int) -> None:
    _ours(chat_id, owner).update(
        status=ChatStatus.RUNNING,
        live_state={"phase": Phase.STREAMING.value, "attempt": attempt},
        event_seq=seq,
    )


def mark_retrying(
    chat_id: int,
    owner: str,
    *,
    retry: ChatRetry,
    classified: ClassifiedError,
    seq: int,
    clear_chain: bool,
    provider: str | None = None,
    model: str = "",
) -> None:
    """Record a published retry: the chat's live state and one `ChatRetryEvent` naming
    the provider and the model that failed (nothing when the lease was lost or the
    chat deleted).

    The event names the configured provider (its name, the id metrics and logs
    use too), not the classifier's vendor id: the demo's fake provider is
    anonymous in what users read, but operators still see which provider it was.
    ``provider`` is that name; None reads it from the chat.
    """
    with transaction.atomic():
        changes: dict[str, Any] = {
            "status": ChatStatus.WAITING_RETRY,
            "live_state": {
                "phase": Phase.RETRYING.value,
                "attempt": retry.attempt,
                "retry": retry.to_json(),
            },
            "event_seq": seq,
            "updated_at": timezone.now(),
        }
        if clear_chain:
            changes["previous_response_id"] = ""
        if not _ours(chat_id, owner).update(**changes):
            return
        if provider is None:
            provider = (
                Chat.objects.filter(pk=chat_id).values_list("provider__name", flat=True).first()
                or ""
            )
        ChatRetryEvent.objects.create(
            chat_id=chat_id,
            attempt=retry.attempt,
            kind=retry.kind,
            provider=provider,
            model=model,
            status_code=retry.status_code,
            delay_ms=retry.delay_ms,
            chain_broken=classified.chain_broken,
            retrying_at=retry.retrying_at or timezone.now(),
            shared=retry.shared,
            to_model=retry.to_model,
            reason=retry.reason,
        )


def finish_ok(
    chat_id: int,
    owner: str,
    *,
    text: str,
    finish: Finish,
    seq: int,
    store_response_id: bool,
    model: str = "",
) -> int | None:
    """Persist the one assistant message and idle the chat; None if the lease was lost."""
    with transaction.atomic():
        changes: dict[str, Any] = {
            **_turn_over(),
            "status": ChatStatus.IDLE,
            "last_error": None,
            "event_seq": seq,
        }
        if store_response_id:
            changes["previous_response_id"] = finish.response_id or ""
        if not _ours(chat_id, owner).update(**changes):
            return None
        usage = finish.usage
        message = _answer(
            chat_id,
            text,
            provider_response_id=finish.response_id or "",
            model=model,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
        )
    return message.pk


def finish_failed(chat_id: int, owner: str, *, error: ChatError, seq: int) -> bool:
    """Persist the terminal error (the `ChatError` the `error` event carries)."""
    with transaction.atomic():
        if not _ours(chat_id, owner).update(
            **_turn_over(),
            status=ChatStatus.FAILED,
            last_error=error.to_json(),
            event_seq=seq,
        ):
            return False
        _restore_previous_answer(chat_id)
    return True


def finish_stopped(
    chat_id: int, owner: str, *, seq: int, text: str = "", model: str = ""
) -> int | None:
    """The user stopped the turn: idle; what the attempt had written so far (if anything)
    is kept as the answer, marked stopped. Returns that message's id."""
    with transaction.atomic():
        if not _ours(chat_id, owner).update(**_turn_over(), status=ChatStatus.IDLE, event_seq=seq):
            return None
        if not text:
            _restore_previous_answer(chat_id)
            return None
        return _answer(chat_id, text, stopped=True, model=model).pk


def _answer(chat_id: int, text: str, **fields: Any) -> ChatMessage:
    """Store the answer to the chat's current user message, the one shown from now on."""
    question = (
        ChatMessage.objects.shown()
        .filter(chat_id=chat_id, role=MessageRole.USER)
        .order_by("-created_at", "-id")
        .first()
    )
    if question is not None:
        ChatMessage.objects.filter(reply_to=question, active=True).update(active=False)
    return ChatMessage.objects.create(
        chat_id=chat_id,
        role=MessageRole.ASSISTANT,
        content=text_parts(text),
        reply_to=question,
        **fields,
    )


def _restore_previous_answer(chat_id: int) -> None:
    """A regenerate that ended with no new answer shows the previous one again."""
    last = ChatMessage.objects.shown().filter(chat_id=chat_id).order_by("-created_at", "-id")
    question = last.first()
    if question is None or question.role != MessageRole.USER:
        return
    previous = question.answers.order_by("-created_at", "-id").first()
    if previous is not None:
        ChatMessage.objects.filter(pk=previous.pk).update(active=True)


def release(chat_id: int, owner: str, *, seq: int) -> bool:
    """Shutdown: hand the turn back at once (pending, no lease) so another runner resumes it.

    The live state stays: a snapshot meanwhile still shows the retry in progress.
    """
    return bool(
        _ours(chat_id, owner).update(
            status=Case(
                When(stop_requested=True, then=Value(ChatStatus.IDLE)),
                default=Value(ChatStatus.PENDING),
            ),
            lease_owner="",
            lease_expires_at=None,
            # The next runner starts from here; jump so clients resynchronise.
            event_seq=seq + SEQ_JUMP,
            updated_at=timezone.now(),
        )
    )
