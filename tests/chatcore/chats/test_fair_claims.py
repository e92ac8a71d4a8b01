"""Claims are round-robin across users: a user's pile of turns never keeps another's first
turn waiting behind it (``lifecycle.claim_next``, on a real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from chatcore.chats import lifecycle
from chatcore.models import Chat, ChatStatus, Provider
from tests.chatcore.persistence.factories import make_chat, make_provider, make_user

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _queued(owner: User, provider: Provider, minute: int) -> Chat:
    """A pending turn queued ``minute`` minutes after T0 (older turns come first)."""
    chat = make_chat(owner=owner, provider=provider)
    Chat.objects.filter(pk=chat.pk).update(
        status=ChatStatus.PENDING, updated_at=T0 + timedelta(minutes=minute)
    )
    return chat


def _held(owner: User, provider: Provider) -> Chat:
    """A turn some runner is running now (a live lease)."""
    chat = make_chat(owner=owner, provider=provider)
    Chat.objects.filter(pk=chat.pk).update(
        status=ChatStatus.WAITING_RETRY,
        lease_owner="runner-x",
        lease_expires_at=T0 + timedelta(hours=2),
    )
    return chat


def _claim_all(n: int) -> list[int]:
    now = T0 + timedelta(hours=1)
    return [lifecycle.claim_next("runner-1", lease_seconds=3600, now=now) or 0 for _ in range(n)]


@pytest.fixture
def provider() -> Provider:
    return make_provider()


def test_a_later_users_first_turn_comes_before_a_busy_users_second(provider: Provider) -> None:
    alice, bob, carol = make_user(), make_user(), make_user()
    a = [_queued(alice, provider, m) for m in range(5)]  # the oldest five
    b = _queued(bob, provider, 10)
    c = _queued(carol, provider, 20)
    # Every user's first turn, then alice's others: not alice's five, then bob's.
    assert _claim_all(7) == [a[0].pk, b.pk, c.pk, a[1].pk, a[2].pk, a[3].pk, a[4].pk]


def test_turns_a_user_already_holds_count_against_their_next(provider: Provider) -> None:
    alice, bob = make_user(), make_user()
    for _ in range(3):
        _held(alice, provider)  # alice has three turns running (or waiting to retry)
    alices = [_queued(alice, provider, m) for m in range(3)]
    bobs = [_queued(bob, provider, 30 + m) for m in range(3)]
    order = _claim_all(6)
    assert order[:3] == [b.pk for b in bobs], "bob has nothing running: his go first"
    assert order[3:] == [a.pk for a in alices]


def test_an_expired_lease_does_not_count_as_held(provider: Provider) -> None:
    alice, bob = make_user(), make_user()
    dead = _held(alice, provider)
    Chat.objects.filter(pk=dead.pk).update(lease_expires_at=T0)  # its runner died
    first = _queued(alice, provider, 0)
    later = _queued(bob, provider, 5)
    # The dead runner's turn is claimable again, and alice holds nothing live: her
    # oldest turn and bob's each come once before her second.
    assert _claim_all(3) == [first.pk, later.pk, dead.pk]
