"""The sidebar's listing and search on a real database (SQLite, or PostgreSQL's full-text
search when DATABASE_URL points at it), and the summaries the pages receive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from chatcore.chats import (
    ChatSummary,
    LiveStatus,
    live_status,
    recent_chats,
    search_chats,
    updated_since,
)
from chatcore.chats.listing import search_terms
from chatcore.contract import ChatRetry, Phase
from chatcore.models import Chat, ChatStatus, MessageRole
from tests.chatcore.persistence.factories import add_message, make_chat, make_user
from tests.conftest import database_is_postgres

pytestmark = pytest.mark.django_db

_RETRY = {
    "attempt": 2,
    "delay_ms": 3000,
    "retrying_at": "2026-05-01T12:00:03.000Z",
    "kind": "rate_limit",
}


@pytest.mark.parametrize(
    ("status", "live_state", "last_error", "expected"),
    [
        pytest.param(ChatStatus.IDLE, {}, None, LiveStatus(Phase.IDLE), id="idle"),
        pytest.param(
            ChatStatus.PENDING, {}, None, LiveStatus(Phase.STARTING), id="queued_is_starting"
        ),
        pytest.param(
            ChatStatus.RUNNING,
            {"phase": "starting"},
            None,
            LiveStatus(Phase.STARTING),
            id="claimed",
        ),
        pytest.param(
            ChatStatus.RUNNING,
            {"phase": "streaming"},
            None,
            LiveStatus(Phase.STREAMING),
            id="streaming",
        ),
        pytest.param(
            ChatStatus.RUNNING,
            {"phase": "nonsense"},
            None,
            LiveStatus(Phase.STARTING),
            id="bad_phase",
        ),
        pytest.param(
            ChatStatus.WAITING_RETRY,
            {"phase": "retrying", "retry": _RETRY},
            None,
            LiveStatus(Phase.RETRYING, ChatRetry.from_json(_RETRY), "rate_limit"),
            id="retrying_with_its_countdown",
        ),
        pytest.param(
            ChatStatus.FAILED,
            {},
            {"message": "Quota.", "kind": "usage_limit"},
            LiveStatus(Phase.FAILED, kind="usage_limit"),
            id="failed_with_its_kind",
        ),
        pytest.param(
            ChatStatus.FAILED,
            {},
            "legacy text",
            LiveStatus(Phase.FAILED, kind="generic"),
            id="legacy_error",
        ),
    ],
)
def test_live_status_of_a_stored_chat(
    status: str, live_state: dict, last_error: object, expected: LiveStatus
) -> None:
    chat = make_chat(status=status, live_state=live_state, last_error=last_error)
    assert live_status(chat) == expected


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(LiveStatus(Phase.IDLE), id="idle"),
        pytest.param(
            LiveStatus(Phase.RETRYING, ChatRetry.from_json(_RETRY), "rate_limit"), id="retry"
        ),
        pytest.param(LiveStatus(Phase.FAILED, kind="auth"), id="failed"),
    ],
)
def test_summaries_survive_their_json(status: LiveStatus) -> None:
    summary = ChatSummary(7, "A title", status, datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert ChatSummary.from_json(summary.to_json()) == summary
    assert LiveStatus.from_json(status.to_json()) == status


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="none"),
        pytest.param({"chat": "7"}, id="id_as_text"),
        pytest.param({"chat": True}, id="id_as_bool"),
        pytest.param({"chat": -1}, id="negative_id"),
    ],
)
def test_a_summary_naming_no_chat_is_none(payload: object) -> None:
    assert ChatSummary.from_json(payload) is None


def test_a_garbled_status_reads_as_idle() -> None:
    assert LiveStatus.from_json({"phase": "exploded", "kind": 3, "retry": "x"}) == LiveStatus()
    assert LiveStatus.from_json({"phase": "idle", "kind": "auth"}) == LiveStatus(), (
        "idle has no kind"
    )


def test_recent_chats_are_the_owners_newest_activity_first() -> None:
    owner, other = make_user(), make_user()
    now = timezone.now()
    ages = {"old": 30, "new": 1, "mid": 5}
    for title, days in ages.items():
        chat = make_chat(owner=owner, title=title)
        Chat.objects.filter(pk=chat.pk).update(updated_at=now - timedelta(days=days))
    make_chat(owner=other, title="not mine")
    assert [s.title for s in recent_chats(owner.pk)] == ["new", "mid", "old"]
    assert [s.title for s in recent_chats(owner.pk, limit=2)] == ["new", "mid"]


def test_updated_since_is_what_changed_plus_every_turn_in_flight() -> None:
    owner = make_user()
    since = timezone.now()
    quiet = make_chat(owner=owner, title="quiet")
    running = make_chat(owner=owner, title="running", status=ChatStatus.RUNNING)
    Chat.objects.filter(pk__in=[quiet.pk, running.pk]).update(updated_at=since - timedelta(hours=1))
    changed = make_chat(owner=owner, title="changed")
    make_chat(title="someone else's")
    assert {s.title for s in updated_since(owner.pk, since)} == {"running", "changed"}
    assert changed.pk in {s.chat_id for s in updated_since(owner.pk, since)}


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        pytest.param("Retry-After", ["retry", "after"], id="punctuation_splits"),
        pytest.param("  porto  PORTO ", ["porto"], id="deduplicated_case_folded"),
        pytest.param("'; DROP TABLE --", ["drop", "table"], id="sql_is_just_words"),
        pytest.param("a:* & !b | c", ["a", "b", "c"], id="tsquery_syntax_is_just_words"),
        pytest.param("...", [], id="no_words"),
        pytest.param(12, [], id="not_text"),
        pytest.param(
            " ".join(f"w{n}" for n in range(20)), [f"w{n}" for n in range(8)], id="eight_at_most"
        ),
    ],
)
def test_search_terms(query: object, terms: list[str]) -> None:
    assert search_terms(query) == terms


def _world() -> tuple[int, dict[str, Chat]]:
    owner = make_user()
    chats = {
        "titled": make_chat(owner=owner, title="Trip to Porto"),
        "talked": make_chat(owner=owner, title="Weekend"),
        "unrelated": make_chat(owner=owner, title="Groceries"),
    }
    add_message(chats["talked"], MessageRole.USER, "Could we take the train to Porto on Saturday?")
    add_message(
        chats["talked"], MessageRole.ASSISTANT, "Yes: the Alfa Pendular takes about three hours."
    )
    add_message(chats["unrelated"], MessageRole.USER, "Milk, eggs, bread")
    theirs = make_chat(title="Porto too")
    add_message(theirs, MessageRole.USER, "Porto is lovely")
    return owner.pk, chats


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("porto", {"titled", "talked"}, id="title_or_message"),
        pytest.param("PORTO saturday", {"talked"}, id="every_word_any_order"),
        pytest.param("pendular", {"talked"}, id="answers_are_searched"),
        pytest.param("trip", {"titled"}, id="title_only"),
        pytest.param("eggs", {"unrelated"}, id="one_message"),
        pytest.param("lisbon", set(), id="nothing"),
        pytest.param("   ", set(), id="blank_finds_nothing"),
        pytest.param("'); --", set(), id="hostile_is_harmless"),
    ],
)
def test_search_finds_the_owners_chats_by_title_and_messages(query: str, found: set[str]) -> None:
    owner, chats = _world()
    names = {chat.pk: name for name, chat in chats.items()}
    hits = search_chats(owner, query)
    assert {names.get(hit.summary.chat_id, "someone else's") for hit in hits} == found


def test_search_prefixes_and_snippets() -> None:
    owner, chats = _world()
    (hit,) = [h for h in search_chats(owner, "satur") if h.summary.chat_id == chats["talked"].pk]
    assert hit.snippet is not None
    assert (
        hit.snippet.match.lower() == "satur" or "Saturday" in hit.snippet.after + hit.snippet.match
    )
    (titled,) = [h for h in search_chats(owner, "trip")]
    assert titled.snippet is None, "only the title matched"


def test_search_skips_versions_no_longer_shown() -> None:
    owner = make_user()
    chat = make_chat(owner=owner, title="t")
    add_message(chat, MessageRole.ASSISTANT, "an earlier answer about zeppelins", active=False)
    add_message(chat, MessageRole.ASSISTANT, "the answer shown now")
    assert search_chats(owner.pk, "zeppelins") == []
    assert [h.summary.chat_id for h in search_chats(owner.pk, "shown")] == [chat.pk]


def test_search_snippet_marks_the_first_word_found() -> None:
    owner = make_user()
    chat = make_chat(owner=owner, title="t")
    add_message(chat, MessageRole.USER, "x " * 40 + "the needle is here " + "y " * 60)
    (hit,) = search_chats(owner.pk, "needle")
    assert hit.snippet is not None
    assert hit.snippet.match == "needle"
    assert hit.snippet.before.startswith("…") and hit.snippet.after.endswith("…")
    assert len(hit.snippet.before) <= 31


@pytest.mark.postgres
@override_settings(CHAT_SEARCH_CONFIG="english")
def test_postgres_full_text_search_stems_with_its_configuration() -> None:
    assert database_is_postgres()
    owner = make_user()
    chat = make_chat(owner=owner, title="t")
    add_message(chat, MessageRole.USER, "The runner retries every request politely.")
    # English stemming: "retrying" and "retries" share the stem "retri".
    assert [h.summary.chat_id for h in search_chats(owner.pk, "retrying")] == [chat.pk]
