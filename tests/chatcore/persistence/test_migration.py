"""Migration 0002 converts legacy text `last_error` to JSON in place, and back.

Driven by Django's real MigrationExecutor on the test database (SQLite, or
PostgreSQL with DATABASE_URL). Each test leaves the schema fully migrated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

LEGACY = ("chatcore", "0001_initial")
CONVERTED = ("chatcore", "0002_chat_last_error_json")
ROWS = 10_000

pytestmark = pytest.mark.django_db(transaction=True)

# (id, legacy text, JSON after the forward migration, text after migrating back)
LEGACY_CASES: list[tuple[str, str | None, dict[str, Any] | None, str | None]] = [
    (
        "text_is_wrapped_as_generic",
        "upstream exploded",
        {"message": "upstream exploded", "kind": "generic"},
        "upstream exploded",
    ),
    ("null_stays_null", None, None, None),
    ("empty_text_becomes_null", "", None, None),
    ("blank_text_becomes_null", "   ", None, None),
    (
        "unicode_survives",
        "Überlastet — 过载 🚦",
        {"message": "Überlastet — 过载 🚦", "kind": "generic"},
        "Überlastet — 过载 🚦",
    ),
    (
        "text_containing_json_is_text_not_parsed",
        '{"message": "inner", "kind": "auth"}',
        {"message": '{"message": "inner", "kind": "auth"}', "kind": "generic"},
        '{"message": "inner", "kind": "auth"}',
    ),
    (
        "quotes_and_backslashes_are_escaped",
        "bad path C:\\tmp\\\"x\" and 'single'",
        {"message": "bad path C:\\tmp\\\"x\" and 'single'", "kind": "generic"},
        "bad path C:\\tmp\\\"x\" and 'single'",
    ),
    (
        "newlines_and_tabs_kept",
        "line 1\n\tline 2",
        {"message": "line 1\n\tline 2", "kind": "generic"},
        "line 1\n\tline 2",
    ),
    (
        "surrounding_spaces_kept_verbatim",
        "  padded  ",
        {"message": "  padded  ", "kind": "generic"},
        "  padded  ",
    ),
    (
        "script_tag_is_just_text",
        "<script>alert(1)</script>",
        {"message": "<script>alert(1)</script>", "kind": "generic"},
        "<script>alert(1)</script>",
    ),
    ("long_text", "x" * 20_000, {"message": "x" * 20_000, "kind": "generic"}, "x" * 20_000),
]


def _migrate(targets: list[tuple[str, str]]) -> Apps:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def legacy_apps() -> Iterator[Apps]:
    """The historical models at 0001 (text `last_error`); afterwards, back to the latest."""
    try:
        yield _migrate([LEGACY])
    finally:
        _migrate_to_latest()


def _owner_and_provider(apps: Apps) -> tuple[Any, Any]:
    user = apps.get_model("auth", "User").objects.create(username="legacy-owner")
    provider = apps.get_model("chatcore", "Provider").objects.create(name="legacy", kind="openai")
    return user, provider


def _insert_chats(apps: Apps, values: list[Any]) -> list[int]:
    Chat = apps.get_model("chatcore", "Chat")
    user, provider = _owner_and_provider(apps)
    Chat.objects.bulk_create(
        Chat(owner=user, provider=provider, model="m", title=f"chat {i}", last_error=value)
        for i, value in enumerate(values)
    )
    return list(Chat.objects.order_by("title").values_list("pk", flat=True))


def _stored(apps: Apps) -> dict[str, Any]:
    Chat = apps.get_model("chatcore", "Chat")
    return dict(Chat.objects.values_list("title", "last_error"))


def test_legacy_rows_convert_forward_and_back(legacy_apps: Apps) -> None:
    # 10,000 rows cycling through every case: the conversion must be set-based.
    cases = [LEGACY_CASES[i % len(LEGACY_CASES)] for i in range(ROWS)]
    _insert_chats(legacy_apps, [case[1] for case in cases])

    with CaptureQueriesContext(connection) as forward_queries:
        converted = _migrate([CONVERTED])
    stored = _stored(converted)
    mismatches = [
        (case[0], stored[f"chat {i}"])
        for i, case in enumerate(cases)
        if stored[f"chat {i}"] != case[2]
    ]
    assert mismatches == []
    Chat = converted.get_model("chatcore", "Chat")
    generic_rows = sum(1 for case in cases if case[2] is not None)
    assert Chat.objects.filter(last_error__kind="generic").count() == generic_rows
    # A per-row conversion would issue thousands of statements.
    assert len(forward_queries.captured_queries) < 60

    with CaptureQueriesContext(connection) as backward_queries:
        legacy = _migrate([LEGACY])
    restored = _stored(legacy)
    mismatches = [
        (case[0], restored[f"chat {i}"])
        for i, case in enumerate(cases)
        if restored[f"chat {i}"] != case[3]
    ]
    assert mismatches == []
    assert len(backward_queries.captured_queries) < 60


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            {
                "message": "Anthropic is overloaded.",
                "kind": "overloaded",
                "retryable": True,
                "status_code": 529,
            },
            "Anthropic is overloaded.",
            id="chat_error_keeps_its_message",
        ),
        pytest.param("just text", "just text", id="bare_json_string_keeps_the_string"),
        pytest.param([1, 2], [1, 2], id="list_is_kept_as_its_json_text"),
        pytest.param(
            {"kind": "auth"}, {"kind": "auth"}, id="object_without_message_kept_as_json_text"
        ),
        pytest.param(
            {"message": None, "kind": "auth"},
            {"message": None, "kind": "auth"},
            id="null_message_kept_as_json_text",
        ),
        pytest.param({"message": 5, "kind": "auth"}, "5", id="number_message_becomes_its_text"),
    ],
)
def test_backward_keeps_what_hand_written_json_holds(
    legacy_apps: Apps, value: Any, expected: Any
) -> None:
    converted = _migrate([CONVERTED])
    Chat = converted.get_model("chatcore", "Chat")
    user, provider = _owner_and_provider(converted)
    Chat.objects.create(owner=user, provider=provider, model="m", title="odd", last_error=value)

    restored = _stored(_migrate([LEGACY]))["odd"]

    if isinstance(expected, str):
        assert restored == expected
    else:
        # JSON text: PostgreSQL and SQLite format it differently, so compare parsed.
        assert json.loads(restored) == expected


def _column_type(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [table, column],
        )
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
def test_column_type_is_text_then_jsonb_on_postgresql(legacy_apps: Apps) -> None:
    assert _column_type("chatcore_chat", "last_error") == "text"
    _migrate([CONVERTED])
    assert _column_type("chatcore_chat", "last_error") == "jsonb"


def test_migrations_are_linear_and_squash_free() -> None:
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    nodes = sorted(key for key in graph.nodes if key[0] == "chatcore")
    assert [name for _, name in nodes][:2] == [LEGACY[1], CONVERTED[1]]
    assert [key for key in graph.leaf_nodes() if key[0] == "chatcore"] == [nodes[-1]]
    for key in nodes:
        migration = graph.nodes[key]
        assert not migration.replaces, f"{key} is a squashed migration"
        parents = [p for p in graph.node_map[key].parents if p.key[0] == "chatcore"]
        assert len(parents) <= 1, f"{key} has several chatcore parents"


def test_models_match_the_migrations() -> None:
    # Exits non-zero (SystemExit) when a model change lacks its migration.
    call_command("makemigrations", "chatcore", "--check", "--dry-run", verbosity=0)
