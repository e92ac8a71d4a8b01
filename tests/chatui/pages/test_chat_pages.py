"""The chat list, new chat and chat pages, rendered from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chatcore.contract import format_utc
from chatcore.models import Chat, ChatStatus, Provider
from chatui.gallery.dom import parse_html, select, text_of
from tests.chatcore.persistence.factories import add_message, make_chat, make_provider

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(client: Client, path: str, **extra: str):  # type: ignore[no-untyped-def]
    response = client.get(path, **extra)
    assert response.status_code == 200
    return parse_html(response.content.decode())


def test_the_sidebar_lists_only_my_chats_with_their_live_status(
    alice_client: Client, alice: User, bob: User, demo_provider: Provider
) -> None:
    mine = make_chat(owner=alice, provider=demo_provider, title="Mine")
    failed = make_chat(
        owner=alice,
        provider=demo_provider,
        title="Broken",
        status=ChatStatus.FAILED,
        last_error={"message": "Rate limited.", "kind": "rate_limit", "retryable": True},
    )
    make_chat(owner=bob, provider=demo_provider, title="Not mine")
    page = _page(alice_client, "/chats/")
    rows = {row.attrs["data-sidebar-chat"]: row for row in select(page, "[data-sidebar-chat]")}
    assert set(rows) == {str(mine.pk), str(failed.pk)}
    assert rows[str(failed.pk)].attrs["data-status"] == "failed"
    assert text_of(select(rows[str(failed.pk)], "[data-sidebar-kind]")[0]) == "Rate limit"
    assert rows[str(mine.pk)].attrs["data-status"] == "idle"
    assert not select(rows[str(mine.pk)], "[data-sidebar-kind]")
    response = alice_client.get("/chats/").content.decode()
    assert "every " not in response, "live over the socket: no polling"
    (sidebar,) = select(page, "[data-sidebar]")
    assert sidebar.attrs["ws-connect"].startswith("/ws/sidebar/?since=")


@pytest.mark.parametrize(
    ("status", "live_state", "phase"),
    [
        pytest.param(ChatStatus.IDLE, {}, "idle", id="idle"),
        pytest.param(ChatStatus.PENDING, {}, "starting", id="queued_is_starting"),
        pytest.param(ChatStatus.RUNNING, {"phase": "starting"}, "starting", id="running_starting"),
        pytest.param(ChatStatus.RUNNING, {"phase": "streaming"}, "streaming", id="streaming"),
        pytest.param(
            ChatStatus.WAITING_RETRY,
            {"phase": "retrying", "retry": {"attempt": 1, "kind": "overloaded"}},
            "retrying",
            id="retrying",
        ),
    ],
)
def test_each_sidebar_entry_shows_its_chats_phase(
    alice_client: Client,
    alice: User,
    demo_provider: Provider,
    status: str,
    live_state: dict,
    phase: str,
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, status=status, live_state=live_state)
    page = _page(alice_client, f"/chats/{chat.pk}/")
    (row,) = select(page, f'[data-sidebar-chat="{chat.pk}"]')
    assert row.attrs["data-status"] == phase
    assert select(row, '[aria-current="page"]'), "the open chat is highlighted"
    assert "ws-connect" not in select(page, "[data-sidebar]")[0].attrs, (
        "the chat's socket serves it"
    )


def test_the_sidebar_groups_chats_by_last_activity_newest_first(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    now = datetime.now(UTC)
    ages = {"today": timedelta(minutes=5), "week": timedelta(days=3), "older": timedelta(days=40)}
    ids = {}
    for group, age in ages.items():
        chat = make_chat(owner=alice, provider=demo_provider, title=group)
        Chat.objects.filter(pk=chat.pk).update(updated_at=now - age)
        ids[group] = str(chat.pk)
    newest = make_chat(owner=alice, provider=demo_provider, title="newest")
    page = _page(alice_client, "/chats/")
    groups = {
        group.attrs["data-sidebar-group"]: [
            row.attrs["data-sidebar-chat"] for row in select(group, "[data-sidebar-chat]")
        ]
        for group in select(page, "[data-sidebar-group]")
    }
    assert groups == {
        "today": [str(newest.pk), ids["today"]],
        "week": [ids["week"]],
        "older": [ids["older"]],
    }


def test_the_sidebar_partial_searches_titles_and_messages(
    alice_client: Client, alice: User, bob: User, demo_provider: Provider
) -> None:
    titled = make_chat(owner=alice, provider=demo_provider, title="Trip to Porto")
    talked = make_chat(owner=alice, provider=demo_provider, title="Other")
    add_message(talked, "user", "Could we take the train to Porto on Saturday?")
    theirs = make_chat(owner=bob, provider=demo_provider, title="Porto")
    add_message(theirs, "user", "Porto is lovely")
    partial = _page(alice_client, "/chats/sidebar/?q=porto&current=0", **HTMX)
    rows = [row.attrs["data-sidebar-chat"] for row in select(partial, "[data-sidebar-chat]")]
    assert sorted(rows) == sorted([str(titled.pk), str(talked.pk)])
    (mark,) = select(partial, f'[data-sidebar-chat="{talked.pk}"] [data-search-snippet] mark')
    assert text_of(mark) == "Porto"
    assert "2 chats match" in text_of(select(partial, "[data-search-count]")[0])
    recent = _page(alice_client, "/chats/sidebar/", **HTMX)
    assert select(recent, '[data-sidebar-view="recent"]')


def test_new_chat_offers_enabled_providers_and_the_selected_providers_models(
    alice_client: Client, demo_provider: Provider
) -> None:
    other = make_provider(name="other", kind="fake", models=["m-1", "m-2"], default_model="m-2")
    make_provider(name="off", kind="fake", models=["x"], enabled=False)
    page = _page(alice_client, "/chats/new/")
    providers = [text_of(o) for o in select(page, "[data-provider-picker] option")]
    assert providers == ["demo", "other"]
    assert [o.attrs["value"] for o in select(page, "#model-field option")] == [
        "echo",
        "demo-flaky",
    ]
    partial = _page(alice_client, f"/chats/new/?provider={other.pk}", **HTMX)
    assert [o.attrs["value"] for o in select(partial, "#model-field option")] == ["m-1", "m-2"]
    assert "selected" in select(partial, '#model-field option[value="m-2"]')[0].attrs
    assert not select(partial, "[data-provider-picker]"), "only the model field is swapped"


def test_creating_a_chat_remembers_provider_model_and_key(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    keyed = make_provider(
        name="keyed", kind="anthropic", key="sk-ant-test-key-123456", models=["claude-x"]
    )
    response = alice_client.post(
        "/chats/new/", {"provider": keyed.pk, "model": "claude-x", "title": " Hello "}
    )
    chat = Chat.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/chats/{chat.pk}/"
    assert (chat.provider, chat.model, chat.title) == (keyed, "claude-x", "Hello")
    assert chat.api_key_ref == keyed.key_id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"model": "demo-flaky"}, "provider", id="provider_required"),
        pytest.param({"model": "m-1", "provider": "DEMO"}, "model", id="model_of_another_provider"),
        pytest.param({"model": "echo", "provider": "OFF"}, "provider", id="disabled_provider"),
    ],
)
def test_an_invalid_new_chat_is_not_created(
    alice_client: Client, demo_provider: Provider, data: dict[str, str], field: str
) -> None:
    off = make_provider(name="off", kind="fake", models=["echo"], enabled=False)
    make_provider(name="other", kind="fake", models=["m-1"])
    ids = {"DEMO": str(demo_provider.pk), "OFF": str(off.pk)}
    data = {key: ids.get(value, value) for key, value in data.items()}
    response = alice_client.post("/chats/new/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Chat.objects.exists()


def test_another_users_chat_is_a_404(
    alice_client: Client, bob: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=bob, provider=demo_provider)
    assert alice_client.get(f"/chats/{chat.pk}/").status_code == 404
    assert alice_client.get("/chats/999999/").status_code == 404


def test_the_chat_page_holds_the_socket_transcript_callout_region_and_composer(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, title="<i>Hi</i>")
    add_message(chat, "user", "Hello <there>")
    add_message(chat, "assistant", "General Kenobi")
    page = _page(alice_client, f"/chats/{chat.pk}/")
    (root,) = select(page, "[data-chat]")
    assert root.attrs["ws-connect"].startswith(f"/ws/chats/{chat.pk}/?since=")
    assert root.attrs["hx-ext"] == "ws"
    roles = [
        (m.attrs["data-role"], text_of(select(m, "[data-message-content]")[0]))
        for m in select(page, "#transcript [data-message]")
    ]
    assert roles == [("user", "Hello <there>"), ("assistant", "General Kenobi")]
    assert select(page, "[data-callout-region] [aria-live=polite]")
    assert not select(page, "#chat-callout-slot [data-callout]")
    (composer,) = select(page, "form[data-composer]")
    assert "ws-send" in composer.attrs and composer.attrs["data-composer-ready"] == "false"
    assert "disabled" in select(composer, "textarea[name=content]")[0].attrs
    assert text_of(select(page, "h1")[0]) == "<i>Hi</i>"
    assert "/static/js/chat.js" in alice_client.get(f"/chats/{chat.pk}/").content.decode()


def test_the_chat_page_shows_a_retry_in_progress_and_htmx_gets_the_partial(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    retrying_at = format_utc(datetime.now(UTC) + timedelta(seconds=30))
    retry = {
        "attempt": 2,
        "delay_ms": 30000,
        "retrying_at": retrying_at,
        "error": "The AI provider is rate limiting requests.",
        "kind": "rate_limit",
        "provider": "",
        "status_code": 429,
        "not_before": retrying_at,
    }
    chat = make_chat(
        owner=alice,
        provider=demo_provider,
        status=ChatStatus.WAITING_RETRY,
        live_state={"phase": "retrying", "attempt": 2, "retry": retry},
    )
    add_message(chat, "user", "hi")
    partial = alice_client.get(f"/chats/{chat.pk}/", **HTMX).content.decode()
    assert "<html" not in partial
    page = parse_html(partial)
    (callout,) = select(page, "#chat-callout-slot [data-callout]")
    assert (callout.attrs["data-phase"], callout.attrs["data-kind"]) == ("retrying", "rate_limit")
    assert select(callout, "[data-countdown]")[0].attrs["data-deadline"] == retrying_at
    assert select(callout, "[data-attempt]")[0].attrs["data-attempt"] == "2"
    assert select(page, "[data-provisional]"), "an active turn has a provisional slot"
