"""Lease renewal (chatcore.chats.lifecycle.renew): what a runner learns from it, on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chatcore.chats import lifecycle
from chatcore.models import Chat, ChatStatus, Provider
from tests.chatcore.runner.conftest import make_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def leased() -> Chat:
    provider = Provider.objects.create(
        name="p", kind="openai", base_url="http://127.0.0.1:9/v1", models=["m"], default_model="m"
    )
    chat = make_chat(provider, "m")
    Chat.objects.filter(pk=chat.pk).update(
        status=ChatStatus.RUNNING,
        lease_owner="runner-a",
        lease_expires_at=timezone.now() + timedelta(seconds=1),
    )
    return chat


def _renew(chat: Chat, owner: str = "runner-a", seq: int = 7) -> str:
    return lifecycle.renew(chat.pk, owner, lease_seconds=30, seq=seq)


def test_a_held_lease_is_extended_with_one_query(leased: Chat) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert _renew(leased) == "held"
    assert len(queries) == 1
    fresh = Chat.objects.get(pk=leased.pk)
    assert fresh.event_seq == 7
    assert fresh.lease_expires_at > timezone.now() + timedelta(seconds=25)


def test_a_stop_flag_is_reported_and_the_lease_still_extended(leased: Chat) -> None:
    Chat.objects.filter(pk=leased.pk).update(stop_requested=True)
    assert _renew(leased, seq=9) == "stop"
    fresh = Chat.objects.get(pk=leased.pk)
    assert fresh.event_seq == 9
    assert fresh.lease_expires_at > timezone.now() + timedelta(seconds=25)


def test_a_lease_taken_over_is_lost_and_left_alone(leased: Chat) -> None:
    Chat.objects.filter(pk=leased.pk).update(lease_owner="runner-b", event_seq=50)
    assert _renew(leased) == "lost"
    assert Chat.objects.get(pk=leased.pk).event_seq == 50, "the new holder's seq is kept"


def test_a_released_lease_means_the_turn_finished(leased: Chat) -> None:
    Chat.objects.filter(pk=leased.pk).update(lease_owner="", status=ChatStatus.IDLE)
    assert _renew(leased) == "finished"
    Chat.objects.filter(pk=leased.pk).update(lease_owner="", stop_requested=True)
    assert _renew(leased) == "finished"
