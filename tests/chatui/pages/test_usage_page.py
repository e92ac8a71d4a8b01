"""The usage page: turns used today against the application's own daily limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from chatcore.chats import Limits, Outgoing, SendOutcome
from chatcore.chats.commands import send
from chatcore.models import Chat, ChatStatus, Provider
from chatui.gallery.dom import parse_html, select, text_of
from tests.chatcore.persistence.factories import add_message, make_chat

pytestmark = pytest.mark.django_db


def _usage(client: Client):  # type: ignore[no-untyped-def]
    return parse_html(client.get("/usage/").content.decode())


def _sent(chat: Chat, text: str, **options: Any) -> None:
    """A real send (counted by admission), its turn then over."""
    assert send(chat, Outgoing(text), limits=Limits(), **options).outcome is SendOutcome.ACCEPTED
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.IDLE)


def test_usage_counts_todays_turns_against_the_limit(
    settings, alice_client: Client, alice: User, bob: User, demo_provider: Provider
) -> None:
    settings.CHAT_TURNS_PER_DAY = 5
    chat = make_chat(owner=alice, provider=demo_provider)
    _sent(chat, "yesterday", now=timezone.now() - timedelta(days=1))
    _sent(chat, "one")
    add_message(chat, "assistant", "answers do not count")
    _sent(chat, "two")
    _sent(make_chat(owner=bob, provider=demo_provider), "bob's")
    page = _usage(alice_client)
    assert text_of(select(page, "[data-usage-used]")[0]) == "2"
    assert text_of(select(page, "[data-usage-limit]")[0]) == "5"
    assert select(page, "[role=meter]")[0].attrs["aria-valuenow"] == "2"


def test_without_a_limit_the_page_says_so(settings, alice_client: Client) -> None:
    settings.CHAT_TURNS_PER_DAY = 0
    page = _usage(alice_client)
    assert select(page, "[data-usage-unlimited]")
    assert not select(page, "[data-usage-limit]")
