"""The runner's small persistence service: claim, renew, finish and release turns.

Synchronous ORM functions (the async runner calls them through
``sync_to_async``). Every write after the claim is conditional on the lease
still being ours, so a runner that lost its lease (it stalled past expiry and
another runner took over) can never persist over the new owner's work. None of
these is called per token: the number of queries a turn issues does not grow
with the length of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from chatcore import persistence
from chatcore.errors import ClassifiedError
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider, text_parts
from chatcore.providers import Finish, Message, ProviderConfig, Role

__all__ = [
    "SEQ_JUMP",
    "TurnContext",
    "claim_next",
    "finish_failed",
    "finish_ok",
    "finish_stopped",
    "load_turn",
    "mark_retrying",
    "mark_streaming",
    "provider_config",
    "release",
    "renew",
]

# A runner that takes over a dead runner's turn cannot know how many events the
# dead one published after its last write; jumping the sequence makes every
# client see a gap and resynchronise from a snapshot instead of ignoring events.
SEQ_JUMP = 100_000


@dataclass(frozen=True)
class TurnContext:
    """Everything one turn needs, read once when it starts."""

    chat_id: int
    owner_id: int
    model: str
    seq: int
    history: tuple[Message, ...]
    new_input: tuple[Message, ...]
    previous_response_id: str
    chain_mode: bool
    turn_key: str
    provider: ProviderConfig
    provider_key: tuple[int, str]
    classifier_provider: str
    preflight_error: ClassifiedError | None


_ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant", "system": "system"}


def _ours(chat_id: int, owner: str) -> Any:
    return Chat.objects.filter(pk=chat_id, lease_owner=owner)


def claim_next(owner: str, *, lease_seconds: float, now: datetime | None = None) -> int | None:
    """Claim the oldest claimable turn; exactly one concurrent claimer wins each chat."""
    now = now or timezone.now()
    candidates = list(
        Chat.objects.claimable(now).order_by("updated_at", "id").values_list("pk", flat=True)[:8]
    )
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


def load_turn(chat_id: int) -> TurnContext:
    chat = Chat.objects.select_related("provider").get(pk=chat_id)
    messages = list(ChatMessage.objects.filter(chat_id=chat_id).values_list("role", "content"))
    history = tuple(
        Message(role=_ROLES[role], content=_text(content))
        for role, content in messages
        if role in _ROLES
    )
    new_input: list[Message] = []
    for message in reversed(history):
        if message.role == "assistant":
            break
        new_input.insert(0, message)
    return TurnContext(
        chat_id=chat.pk,
        owner_id=chat.owner_id,
        model=chat.model,
        seq=chat.event_seq,
        history=history,
        new_input=tuple(new_input),
        previous_response_id=chat.previous_response_id,
        chain_mode=chat.chain_mode,
        turn_key=f"chat-{chat.pk}-turn-{len(history)}",
        provider=provider_config(chat.provider),
        provider_key=(chat.provider.pk, chat.provider.updated_at.isoformat()),
        classifier_provider=chat.provider.classifier_provider,
        preflight_error=persistence.preflight(chat),
    )


def provider_config(provider: Provider) -> ProviderConfig:
    return ProviderConfig(
        kind=provider.kind,
        name=provider.name,
        base_url=provider.base_url or None,
        api_key=provider.get_api_key(),
        enabled=provider.enabled,
    )


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        part["text"]
        for part in content
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    )


def renew(chat_id: int, owner: str, *, lease_seconds: float, seq: int) -> str:
    """Extend our lease and checkpoint the sequence number.

    Returns "held", "stop" (the user asked to stop: the fallback for a
    `chatd.stop` message the channel layer dropped), "finished" (no lease any
    more: the turn itself just persisted its outcome) or "lost" (another runner
    holds it now).
    """
    now = timezone.now()
    # One query when nothing changed (every chat renews every few seconds).
    if (
        _ours(chat_id, owner)
        .filter(stop_requested=False)
        .update(lease_expires_at=now + timedelta(seconds=lease_seconds), event_seq=seq)
    ):
        return "held"
    holder = Chat.objects.filter(pk=chat_id).values_list("lease_owner", flat=True).first()
    if not holder:
        return "finished"
    if holder != owner:
        return "lost"
    # Still ours, so the stop flag is what the update did not match.
    _ours(chat_id, owner).update(
        lease_expires_at=now + timedelta(seconds=lease_seconds), event_seq=seq
    )
    return "stop"


def mark_streaming(chat_id: int, owner: str, *, attempt: int, seq: int) -> None:
    _ours(chat_id, owner).update(
        status=ChatStatus.RUNNING,
        live_state={"phase": "streaming", "attempt": attempt},
        event_seq=seq,
    )


def mark_retrying(
    chat_id: int,
    owner: str,
    *,
    attempt: int,
    classified: ClassifiedError,
    delay: float,
    retrying_at: datetime,
    payload: dict[str, Any],
    seq: int,
    clear_chain: bool,
) -> None:
    """Record a published retry: one `ChatRetryEvent` and the chat's live state."""
    with transaction.atomic():
        persistence.record_retry_event(chat_id, attempt, classified, delay, retrying_at)
        changes: dict[str, Any] = {
            "status": ChatStatus.WAITING_RETRY,
            "live_state": {"phase": "retrying", "attempt": attempt, "retry": payload},
            "event_seq": seq,
            "updated_at": timezone.now(),
        }
        if clear_chain:
            changes["previous_response_id"] = ""
        _ours(chat_id, owner).update(**changes)


def finish_ok(
    chat_id: int, owner: str, *, text: str, finish: Finish, seq: int, store_response_id: bool
) -> int | None:
    """Persist the one assistant message and idle the chat; None if the lease was lost."""
    with transaction.atomic():
        changes: dict[str, Any] = {
            "status": ChatStatus.IDLE,
            "last_error": None,
            "lease_owner": "",
            "lease_expires_at": None,
            "live_state": {},
            "event_seq": seq,
            "stop_requested": False,
            "retry_now_requested_at": None,
            "updated_at": timezone.now(),
        }
        if store_response_id:
            changes["previous_response_id"] = finish.response_id or ""
        if not _ours(chat_id, owner).update(**changes):
            return None
        usage = finish.usage
        message = ChatMessage.objects.create(
            chat_id=chat_id,
            role=MessageRole.ASSISTANT,
            content=text_parts(text),
            provider_response_id=finish.response_id or "",
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
        )
    return message.pk


def finish_failed(chat_id: int, owner: str, *, classified: ClassifiedError, seq: int) -> bool:
    return bool(
        _ours(chat_id, owner).update(
            status=ChatStatus.FAILED,
            last_error=classified.error_payload(),
            lease_owner="",
            lease_expires_at=None,
            live_state={},
            event_seq=seq,
            stop_requested=False,
            retry_now_requested_at=None,
            updated_at=timezone.now(),
        )
    )


def finish_stopped(chat_id: int, owner: str, *, seq: int) -> bool:
    """The user stopped the turn: idle, the partial answer discarded (docs/architecture.md)."""
    return bool(
        _ours(chat_id, owner).update(
            status=ChatStatus.IDLE,
            lease_owner="",
            lease_expires_at=None,
            live_state={},
            event_seq=seq,
            stop_requested=False,
            retry_now_requested_at=None,
            updated_at=timezone.now(),
        )
    )


def release(chat_id: int, owner: str, *, seq: int) -> bool:
    """Shutdown: hand the turn back at once (pending, no lease) so another runner resumes it."""
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
