"""The user's own limits on a real database: turns in flight, sends per minute, turns per
day, in that order; idempotent repeats and conflicts; "Try again" within the cap.

Time is injected (``now=``), so the windows are exact. The concurrency proofs
(parallel sends on PostgreSQL) are in tests/security/test_admission_races.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from chatcore.chats import Limits, Outgoing, SendOutcome, turns_used_today, validate_message
from chatcore.chats.commands import SendResult, request_retry_now, send
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider
from tests.chatcore.persistence.factories import add_message, make_chat, make_provider, make_user

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@dataclass
class Sender:
    """One user's chats and a clock: sends that end their turn at once unless told not to."""

    user: User
    provider: Provider

    def chat(self, status: ChatStatus = ChatStatus.IDLE) -> Chat:
        return make_chat(owner=self.user, provider=self.provider, status=status)

    def send(
        self,
        limits: Limits,
        *,
        at: datetime = NOON,
        chat: Chat | None = None,
        text: str = "hello",
        request_id: str = "",
        keep_active: bool = False,
    ) -> SendResult:
        chat = chat or self.chat()
        result = send(chat, validate_message(text, request_id), limits=limits, now=at)
        if result.outcome is SendOutcome.ACCEPTED and not keep_active:
            Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.IDLE)
        return result


@pytest.fixture
def alice() -> Sender:
    return Sender(make_user(), make_provider())


@pytest.fixture
def bob(alice: Sender) -> Sender:
    return Sender(make_user(), alice.provider)


def _outcomes(results: list[SendResult]) -> list[str]:
    return [r.outcome.value for r in results]


def test_turns_in_flight_count_across_all_of_the_users_chats(alice: Sender, bob: Sender) -> None:
    limits = Limits(active_turns=2)
    alice.chat(ChatStatus.PENDING)
    alice.chat(ChatStatus.WAITING_RETRY)
    alice.chat(ChatStatus.FAILED)  # over: does not count
    for _ in range(3):
        bob.chat(ChatStatus.RUNNING)  # someone else's: does not count
    refused = alice.send(limits)
    assert refused.outcome is SendOutcome.ACTIVE_LIMIT
    assert refused.error is not None
    assert (refused.error.kind, refused.error.retryable, refused.error.provider) == (
        "usage_limit",
        False,
        "",
    )
    assert "2 of your replies are already in progress" in refused.error.message
    assert bob.send(Limits(active_turns=4)).outcome is SendOutcome.ACCEPTED


def test_a_turn_in_flight_holds_its_place_until_it_ends(alice: Sender) -> None:
    limits = Limits(active_turns=1)
    first = alice.chat()
    assert alice.send(limits, chat=first, keep_active=True).outcome is SendOutcome.ACCEPTED
    assert alice.send(limits).outcome is SendOutcome.ACTIVE_LIMIT
    Chat.objects.filter(pk=first.pk).update(status=ChatStatus.IDLE)
    assert alice.send(limits).outcome is SendOutcome.ACCEPTED


def test_the_minute_window_refuses_the_next_send_until_it_has_passed(alice: Sender) -> None:
    limits = Limits(sends_per_minute=3)
    results = [alice.send(limits, at=NOON + timedelta(seconds=s)) for s in (0, 10, 20, 30)]
    assert _outcomes(results) == ["accepted", "accepted", "accepted", "rate_limit"]
    refused = results[-1]
    assert refused.retry_after == 30, "the window opened at the first send, 30 s before"
    assert refused.error is not None and "3 messages a minute" in refused.error.message
    assert "Wait 30 s" in refused.error.message
    assert alice.send(limits, at=NOON + timedelta(seconds=59)).outcome is SendOutcome.RATE_LIMIT
    assert alice.send(limits, at=NOON + timedelta(seconds=60)).outcome is SendOutcome.ACCEPTED


def test_the_daily_limit_counts_the_utc_day_and_resets_at_midnight(alice: Sender) -> None:
    limits = Limits(turns_per_day=2)
    late = datetime(2026, 5, 1, 23, 58, tzinfo=UTC)
    results = [alice.send(limits, at=late + timedelta(minutes=m)) for m in (0, 1)]
    results.append(alice.send(limits, at=late + timedelta(minutes=1, seconds=30)))
    assert _outcomes(results) == ["accepted", "accepted", "usage_limit"]
    refused = results[-1]
    assert refused.retry_after == 30, "30 s to midnight"
    assert refused.error is not None and "all 2 turns" in refused.error.message
    assert "resets at 00:00 UTC" in refused.error.message
    after_midnight = late + timedelta(minutes=2)
    assert alice.send(limits, at=after_midnight).outcome is SendOutcome.ACCEPTED
    assert turns_used_today(alice.user.pk, after_midnight) == 1
    assert turns_used_today(alice.user.pk, late) == 0, "another day's count is not today's"


LIMIT_ORDER = [
    # (row id, the limits, the limit that answers): all three are exhausted.
    pytest.param(Limits(1, 1, 1), "active_limit", id="turns_in_flight_first"),
    pytest.param(Limits(0, 1, 1), "rate_limit", id="then_the_minute"),
    pytest.param(Limits(0, 0, 1), "usage_limit", id="then_the_day"),
    pytest.param(Limits(0, 0, 0), "accepted", id="zero_means_no_limit"),
]


@pytest.mark.parametrize(("limits", "expected"), LIMIT_ORDER)
def test_the_first_limit_that_refuses_answers(alice: Sender, limits: Limits, expected: str) -> None:
    alice.send(Limits(), keep_active=True)  # one in flight, one this minute, one today
    assert alice.send(limits, at=NOON + timedelta(seconds=1)).outcome.value == expected


def test_a_refused_send_stores_nothing_and_counts_nothing(alice: Sender) -> None:
    limits = Limits(sends_per_minute=1, turns_per_day=5)
    chat = alice.chat()
    alice.send(limits, chat=chat)
    before = list(ChatMessage.objects.values_list("pk", flat=True))
    assert alice.send(limits, chat=chat, text="again").outcome is SendOutcome.RATE_LIMIT
    assert list(ChatMessage.objects.values_list("pk", flat=True)) == before
    assert turns_used_today(alice.user.pk, NOON) == 1
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE


IDEMPOTENCY = [
    pytest.param("hello", "duplicate", 1, id="same_id_same_content_is_the_same_send"),
    pytest.param("  hello  ", "duplicate", 1, id="the_same_content_once_trimmed"),
    pytest.param("something else", "conflict", 1, id="same_id_other_content_is_a_conflict"),
]


@pytest.mark.parametrize(("again", "expected", "turns"), IDEMPOTENCY)
def test_a_repeated_request_id(alice: Sender, again: str, expected: str, turns: int) -> None:
    limits = Limits(turns_per_day=10)
    chat = alice.chat()
    first = alice.send(limits, chat=chat, request_id="req-1")
    repeat = alice.send(limits, chat=chat, text=again, request_id="req-1")
    assert repeat.outcome.value == expected
    assert repeat.message is not None and repeat.message.pk == first.message.pk  # type: ignore[union-attr]
    assert [m.text for m in ChatMessage.objects.filter(chat=chat)] == ["hello"]
    assert turns_used_today(alice.user.pk, NOON) == turns, "a repeat is not another turn"


def _failed_chat(sender: Sender) -> Chat:
    chat = sender.chat(ChatStatus.FAILED)
    add_message(chat, MessageRole.USER, "the turn that failed")
    return chat


def test_try_again_is_held_to_the_turns_in_flight_only(alice: Sender) -> None:
    limits = Limits(active_turns=1, sends_per_minute=1, turns_per_day=1)
    alice.send(Limits(), keep_active=True)
    failed = _failed_chat(alice)
    refused = request_retry_now(failed, limits=limits, now=NOON)
    assert refused.action == "refused"
    assert refused.error is not None and refused.error.kind == "usage_limit"
    assert Chat.objects.get(pk=failed.pk).status == ChatStatus.FAILED
    Chat.objects.exclude(pk=failed.pk).update(status=ChatStatus.IDLE)
    # The minute and the day are used up, but a re-run sends nothing new.
    assert request_retry_now(failed, limits=limits, now=NOON).action == "requeued"
    assert turns_used_today(alice.user.pk, NOON) == 1


def test_limits_come_from_the_settings_by_default(alice: Sender, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CHAT_ACTIVE_TURNS_PER_USER = 1
    settings.CHAT_SENDS_PER_MINUTE = 0
    settings.CHAT_TURNS_PER_DAY = 0
    assert Limits.from_settings() == Limits(active_turns=1)
    assert send(alice.chat(), Outgoing("one"), now=NOON).outcome is SendOutcome.ACCEPTED
    assert send(alice.chat(), Outgoing("two"), now=NOON).outcome is SendOutcome.ACTIVE_LIMIT
