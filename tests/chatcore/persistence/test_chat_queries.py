"""Chat QuerySet methods: what the runner claims, what the admin and the UI list."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from chatcore.models import Chat, ChatStatus
from tests.chatcore.persistence.factories import make_chat, make_provider, make_user

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LIVE = NOW + timedelta(seconds=30)
EXPIRED = NOW - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("status", "lease_expires_at", "claimable"),
    [
        pytest.param(ChatStatus.PENDING, None, True, id="pending_without_lease"),
        pytest.param(ChatStatus.PENDING, EXPIRED, True, id="pending_with_expired_lease"),
        pytest.param(ChatStatus.PENDING, LIVE, False, id="pending_with_live_lease"),
        pytest.param(ChatStatus.PENDING, NOW, True, id="lease_ending_now_is_expired"),
        pytest.param(ChatStatus.RUNNING, LIVE, False, id="running_with_live_lease"),
        pytest.param(ChatStatus.RUNNING, EXPIRED, True, id="running_runner_died"),
        pytest.param(ChatStatus.RUNNING, None, True, id="running_without_lease"),
        pytest.param(ChatStatus.WAITING_RETRY, LIVE, False, id="waiting_retry_with_live_lease"),
        pytest.param(ChatStatus.WAITING_RETRY, EXPIRED, True, id="waiting_retry_runner_died"),
        pytest.param(ChatStatus.IDLE, None, False, id="idle_has_no_turn"),
        pytest.param(ChatStatus.FAILED, EXPIRED, False, id="failed_has_no_turn"),
    ],
)
def test_claimable(status: ChatStatus, lease_expires_at: datetime | None, claimable: bool) -> None:
    chat = make_chat(status=status, lease_expires_at=lease_expires_at)
    assert Chat.objects.claimable(NOW).filter(pk=chat.pk).exists() is claimable


def test_for_owner_returns_only_the_users_chats() -> None:
    alice, bob = make_user(), make_user()
    provider = make_provider()
    mine = {make_chat(owner=alice, provider=provider).pk for _ in range(2)}
    make_chat(owner=bob, provider=provider)
    assert set(Chat.objects.for_owner(alice).values_list("pk", flat=True)) == mine
    assert not Chat.objects.for_owner(AnonymousUser()).exists()


def test_failed_and_with_error() -> None:
    failed = make_chat(status=ChatStatus.FAILED, last_error={"message": "m", "kind": "auth"})
    idle_with_error = make_chat(last_error={"message": "m", "kind": "generic"})
    make_chat(status=ChatStatus.RUNNING)
    assert list(Chat.objects.failed()) == [failed]
    assert set(Chat.objects.with_error()) == {failed, idle_with_error}


def test_claim_query_uses_an_index() -> None:
    # Not a plan assertion (planners differ): the index the claim query needs exists.
    indexes = {tuple(index.fields) for index in Chat._meta.indexes}
    assert ("status", "lease_expires_at") in indexes
