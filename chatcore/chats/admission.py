"""Who may start another turn now: this application's own per-user limits.

Three limits, each off when set to 0 (settings, docs/operations.md):

========================  ==============================  =====================  ====
limit                     setting                         window                 HTTP
========================  ==============================  =====================  ====
turns in flight           ``CHAT_ACTIVE_TURNS_PER_USER``  now (every chat)       409
sends per minute          ``CHAT_SENDS_PER_MINUTE``       one minute from the    429
                                                          window's first send
turns per day             ``CHAT_TURNS_PER_DAY``          the UTC day            409
========================  ==============================  =====================  ====

They are checked in that order, and the first that refuses answers: the
order goes from the limit that lifts soonest to the one that lifts last, so a
refusal names the wait that is really left. Every refusal is a `ChatError` of
kind ``usage_limit`` (our own limit, never a provider's) with its own message.

Atomic on every database: an admission first *writes* the user's
`UsageCounter` row. That write holds the row's lock on PostgreSQL, and the
database's write lock on SQLite, until the transaction that stores the send
commits, so a user's concurrent sends (other sockets, other processes) are
decided one after the other and never on the same counts.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from chatcore.contract import ChatError
from chatcore.models import ACTIVE_STATUSES, Chat, UsageCounter

__all__ = [
    "SEND_WINDOW",
    "Limit",
    "Limits",
    "Refusal",
    "admit",
    "record_send",
    "turns_used_today",
    "usage_limit_error",
]

SEND_WINDOW = timedelta(minutes=1)


class Limit(enum.StrEnum):
    """Which of our limits refused (the order is the order they are checked in)."""

    ACTIVE_TURNS = "active_turns"
    SEND_RATE = "send_rate"
    DAILY_TURNS = "daily_turns"


@dataclass(frozen=True)
class Limits:
    """The limits one admission applies; 0 means no limit."""

    active_turns: int = 0
    sends_per_minute: int = 0
    turns_per_day: int = 0

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            active_turns=settings.CHAT_ACTIVE_TURNS_PER_USER,
            sends_per_minute=settings.CHAT_SENDS_PER_MINUTE,
            turns_per_day=settings.CHAT_TURNS_PER_DAY,
        )


@dataclass(frozen=True)
class Refusal:
    """A refused admission: which limit, the `ChatError` to show, and the seconds until
    that limit lets a send through again (0 when only the user can change it)."""

    limit: Limit
    error: ChatError
    retry_after: float = 0.0


def _day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def _tomorrow(now: datetime) -> datetime:
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1)


def usage_limit_error(limit: int, now: datetime | None = None) -> ChatError:
    """The daily limit as a `ChatError`: no provider, so the UI links to the usage page."""
    resets = _tomorrow(now or timezone.now())
    return ChatError.usage_limit(
        f"You have used all {limit} turns of your daily limit. It resets at {resets:%H:%M} UTC."
    )


def _active_turns_error(limit: int) -> ChatError:
    replies = "reply is" if limit == 1 else "replies are"
    return ChatError.usage_limit(
        f"{limit} of your {replies} already in progress, the most at once. "
        "Wait for one to finish, or stop one, then send again."
    )


def _send_rate_error(limit: int, seconds: int) -> ChatError:
    return ChatError.usage_limit(
        f"You can send {limit} messages a minute. Wait {seconds} s, then send again."
    )


def _lock(user_id: int, now: datetime) -> UsageCounter:
    """Write the user's row, which keeps it locked until the transaction ends; the row."""
    if not connection.in_atomic_block:
        raise RuntimeError("admission must run inside the transaction that stores the send")
    if not UsageCounter.objects.filter(pk=user_id).update(checked_at=now):
        try:
            with transaction.atomic():
                UsageCounter.objects.create(user_id=user_id, checked_at=now)
        except IntegrityError:
            # A concurrent first send created it (and held it until it committed).
            UsageCounter.objects.filter(pk=user_id).update(checked_at=now)
    return UsageCounter.objects.get(pk=user_id)


def _window_open(counter: UsageCounter, now: datetime) -> bool:
    started = counter.window_started_at
    return started is not None and now - started < SEND_WINDOW


def admit(
    user_id: int, limits: Limits, *, now: datetime | None = None, new_message: bool = True
) -> Refusal | None:
    """Lock the user's admission row and decide; None admits.

    Call it inside the transaction that then queues the turn (and, for a new
    message, calls `record_send`). ``new_message=False`` (re-running a turn
    that failed) is checked against the turns in flight only: it sends nothing
    new, so it counts towards neither the minute nor the day.
    """
    now = now or timezone.now()
    counter = _lock(user_id, now)
    if limits.active_turns > 0:
        active = Chat.objects.filter(owner_id=user_id, status__in=ACTIVE_STATUSES).count()
        if active >= limits.active_turns:
            return Refusal(Limit.ACTIVE_TURNS, _active_turns_error(limits.active_turns))
    if not new_message:
        return None
    if (
        limits.sends_per_minute > 0
        and _window_open(counter, now)
        and counter.window_sends >= limits.sends_per_minute
    ):
        assert counter.window_started_at is not None
        left = (counter.window_started_at + SEND_WINDOW - now).total_seconds()
        seconds = max(1, math.ceil(left))
        error = _send_rate_error(limits.sends_per_minute, seconds)
        return Refusal(Limit.SEND_RATE, error, retry_after=seconds)
    used_today = counter.turns if counter.day == _day(now) else 0
    if limits.turns_per_day > 0 and used_today >= limits.turns_per_day:
        left = (_tomorrow(now) - now).total_seconds()
        error = usage_limit_error(limits.turns_per_day, now)
        return Refusal(Limit.DAILY_TURNS, error, retry_after=math.ceil(left))
    return None


def record_send(user_id: int, *, now: datetime | None = None) -> None:
    """Count an admitted send in the user's (locked) row: one more turn today and one
    more in the current minute, each starting again when its window has passed."""
    now = now or timezone.now()
    today = _day(now)
    window_open = Q(window_started_at__gt=now - SEND_WINDOW)
    # Every SET expression reads the row as it was before this UPDATE.
    UsageCounter.objects.filter(pk=user_id).update(
        turns=Case(When(day=today, then=F("turns") + 1), default=Value(1)),
        day=today,
        window_sends=Case(When(window_open, then=F("window_sends") + 1), default=Value(1)),
        window_started_at=Case(When(window_open, then=F("window_started_at")), default=Value(now)),
    )


def turns_used_today(user_id: int, now: datetime | None = None) -> int:
    """Turns the user sent today (UTC): the count the daily limit compares."""
    now = now or timezone.now()
    row = UsageCounter.objects.filter(pk=user_id, day=_day(now)).values_list("turns", flat=True)
    return int(row.first() or 0)
