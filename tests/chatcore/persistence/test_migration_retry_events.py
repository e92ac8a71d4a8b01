"""Migration 0004: retry events name their chat's provider, old rows included, and back.

Driven by Django's real MigrationExecutor on the test database (SQLite, or
PostgreSQL with DATABASE_URL). Each test leaves the schema fully migrated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("chatcore", "0003_message_versions")
AFTER = ("chatcore", "0004_retry_event_provider_name")

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(target: tuple[str, str]) -> Apps:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def before() -> Iterator[Apps]:
    try:
        yield _migrate(BEFORE)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _chat(apps: Apps, provider_name: str, kind: str) -> Any:
    User = apps.get_model("auth", "User")
    Provider = apps.get_model("chatcore", "Provider")
    Chat = apps.get_model("chatcore", "Chat")
    owner, _ = User.objects.get_or_create(username="migrating")
    provider = Provider.objects.create(name=provider_name, kind=kind)
    return Chat.objects.create(owner=owner, provider=provider, title="t", model="m")


def _event(apps: Apps, chat: Any, provider: str) -> int:
    Event = apps.get_model("chatcore", "ChatRetryEvent")
    event = Event.objects.create(
        chat=chat, attempt=1, kind="overloaded", provider=provider, delay_ms=1000,
        retrying_at=timezone.now(),
    )  # fmt: skip
    return int(event.pk)


def test_old_rows_take_their_chats_provider_name(before: Apps) -> None:
    demo = _chat(before, "demo", "fake")
    prod = _chat(before, "OpenAI production", "openai")
    rows = {
        "fake_row_was_blank": _event(before, demo, ""),
        "vendor_id_becomes_the_name": _event(before, prod, "openai"),
    }

    after = _migrate(AFTER)

    stored = dict(
        after.get_model("chatcore", "ChatRetryEvent").objects.values_list("pk", "provider")
    )
    assert {name: stored[pk] for name, pk in rows.items()} == {
        "fake_row_was_blank": "demo",
        "vendor_id_becomes_the_name": "OpenAI production",
    }


def test_backward_keeps_names_that_fit_the_old_column(before: Apps) -> None:
    long_name = "p" * 90
    short = _event(before, _chat(before, "demo", "fake"), "")
    long = _event(before, _chat(before, long_name, "openai"), "")
    _migrate(AFTER)

    back = _migrate(BEFORE)

    stored = dict(
        back.get_model("chatcore", "ChatRetryEvent").objects.values_list("pk", "provider")
    )
    assert (stored[short], stored[long]) == ("demo", "p" * 64)
