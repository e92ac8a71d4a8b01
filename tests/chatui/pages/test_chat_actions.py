"""The app shell's requests with Django's test client: starting a chat with its first
message, rename, delete, the header's model picker and system prompt, and the JSON API's
PATCH, DELETE and search. Everything is owner-only (other users get a 404)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chatcore.chats import Outgoing, SendOutcome
from chatcore.chats.commands import send
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider
from chatui.gallery.dom import parse_html, select, text_of
from tests.chatcore.persistence.factories import add_message, make_chat, make_provider

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_starting_a_chat_with_a_first_message_sends_it_and_titles_the_chat(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    response = alice_client.post(
        "/chats/new/",
        {
            "provider": demo_provider.pk,
            "model": "demo-flaky",
            "title": "",
            "system_prompt": "  Be brief.  ",
            "content": "  Plan a trip to Porto  ",
        },
    )
    chat = Chat.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/chats/{chat.pk}/"
    assert (chat.model, chat.title, chat.system_prompt, chat.status) == (
        "demo-flaky",
        "Plan a trip to Porto",
        "Be brief.",
        ChatStatus.PENDING,
    )
    assert [m.text for m in ChatMessage.objects.filter(chat=chat)] == ["Plan a trip to Porto"]


def test_a_first_message_over_the_daily_limit_keeps_its_text_and_creates_nothing(
    alice_client: Client, alice: User, demo_provider: Provider, settings: object
) -> None:
    settings.CHAT_TURNS_PER_DAY = 1  # type: ignore[attr-defined]
    used = make_chat(owner=alice, provider=demo_provider)
    sent = send(used, Outgoing("the one turn of today"))
    assert sent.outcome is SendOutcome.ACCEPTED
    data = {"provider": demo_provider.pk, "model": "echo", "content": "Keep these words"}
    response = alice_client.post("/chats/new/", data)
    assert response.status_code == 200
    page = parse_html(response.content.decode())
    assert text_of(select(page, "[data-start-message]")[0]) == "Keep these words"
    assert "daily limit" in text_of(select(page, "[data-start-errors]")[0])
    assert Chat.objects.filter(owner=alice).count() == 1


def test_rename_answers_the_renamed_entry_for_the_sidebar(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, title="old")
    response = alice_client.post(
        f"/chats/{chat.pk}/rename/", {"title": " New name ", "current": chat.pk}, **HTMX
    )
    assert response.status_code == 200
    frame = parse_html(response.content.decode())
    (item,) = select(frame, f'[data-sidebar-chat="{chat.pk}"]')
    assert text_of(select(item, "[data-sidebar-title]")[0]) == "New name"
    assert select(item, '[aria-current="page"]')
    assert Chat.objects.get(pk=chat.pk).title == "New name"


def test_a_refused_rename_answers_the_entry_as_it_was(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, title="old")
    response = alice_client.post(f"/chats/{chat.pk}/rename/", {"title": "   "}, **HTMX)
    assert (
        text_of(select(parse_html(response.content.decode()), "[data-sidebar-title]")[0]) == "old"
    )
    assert Chat.objects.get(pk=chat.pk).title == "old"


def test_deleting_the_open_chat_sends_the_page_to_a_new_chat(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider)
    response = alice_client.post(f"/chats/{chat.pk}/delete/", {"current": chat.pk}, **HTMX)
    assert response["HX-Redirect"] == "/chats/new/"
    assert not Chat.objects.filter(pk=chat.pk).exists()


def test_deleting_another_chat_only_drops_its_entry(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    shown = make_chat(owner=alice, provider=demo_provider)
    gone = make_chat(owner=alice, provider=demo_provider)
    response = alice_client.post(f"/chats/{gone.pk}/delete/", {"current": shown.pk}, **HTMX)
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert select(parse_html(response.content.decode()), f'[data-sidebar-removed="{gone.pk}"]')
    assert list(Chat.objects.values_list("pk", flat=True)) == [shown.pk]


def test_a_plain_form_delete_redirects_to_a_new_chat(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider)
    response = alice_client.post(f"/chats/{chat.pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, "/chats/new/")


def test_the_model_picker_switches_provider_and_model_and_says_so(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    other = make_provider(name="other", kind="fake", models=["m-1", "m-2"])
    chat = make_chat(owner=alice, provider=demo_provider, model="echo")
    page = parse_html(alice_client.get(f"/chats/{chat.pk}/").content.decode())
    groups = {
        group.attrs["label"]: [o.attrs["value"] for o in select(group, "option")]
        for group in select(page, "[data-model-select] optgroup")
    }
    assert groups == {
        "demo": [f"{demo_provider.pk}:echo", f"{demo_provider.pk}:demo-flaky"],
        "other": [f"{other.pk}:m-1", f"{other.pk}:m-2"],
    }
    assert select(page, f'[data-model-select] option[value="{demo_provider.pk}:echo"][selected]')
    response = alice_client.post(
        f"/chats/{chat.pk}/settings/", {"model": f"{other.pk}:m-2"}, **HTMX
    )
    (notice,) = select(parse_html(response.content.decode()), "#chat-notice")
    assert notice.attrs["hx-swap-oob"] == "true"
    assert text_of(notice) == "The next answer uses m-2."
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.provider_id, fresh.model) == (other.pk, "m-2")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("nonsense", id="no_provider_part"),
        pytest.param("999999:echo", id="unknown_provider"),
        pytest.param("{demo}:not-a-model", id="model_not_offered"),
        pytest.param("{demo}:", id="empty_model"),
    ],
)
def test_a_refused_model_switch_says_why_and_changes_nothing(
    alice_client: Client, alice: User, demo_provider: Provider, value: str
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, model="echo")
    value = value.format(demo=demo_provider.pk)
    response = alice_client.post(f"/chats/{chat.pk}/settings/", {"model": value}, **HTMX)
    (notice,) = select(parse_html(response.content.decode()), "#chat-notice")
    assert notice.attrs["data-notice-code"] == "settings_refused"
    assert Chat.objects.get(pk=chat.pk).model == "echo"


def test_the_system_prompt_is_saved_from_its_panel(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider)
    response = alice_client.post(
        f"/chats/{chat.pk}/settings/", {"system_prompt": "Answer in French."}, **HTMX
    )
    assert "System prompt saved" in response.content.decode()
    assert Chat.objects.get(pk=chat.pk).system_prompt == "Answer in French."
    page = parse_html(alice_client.get(f"/chats/{chat.pk}/").content.decode())
    assert text_of(select(page, "textarea[data-system-prompt]")[0]) == "Answer in French."
    assert select(page, '[data-settings-toggle][data-system-prompt-set="true"]')


def test_fallbacks_are_turned_off_and_on_from_the_panel(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, previous_response_id="resp_1")
    page = parse_html(alice_client.get(f"/chats/{chat.pk}/").content.decode())
    (form,) = select(page, "form[data-fallback-form]")
    assert form.attrs["hx-post"] == f"/chats/{chat.pk}/settings/"
    assert "checked" in select(form, "input[data-allow-fallback]")[0].attrs, "on by default"

    # An unticked box sends only the hidden "off".
    off = alice_client.post(f"/chats/{chat.pk}/settings/", {"allow_fallback": "off"}, **HTMX)
    assert 'data-notice-code="fallback_off"' in off.content.decode()
    fresh = Chat.objects.get(pk=chat.pk)
    assert fresh.allow_fallback is False
    assert fresh.previous_response_id == "resp_1", "switching fallbacks keeps the chain"
    page = parse_html(alice_client.get(f"/chats/{chat.pk}/").content.decode())
    assert "checked" not in select(page, "input[data-allow-fallback]")[0].attrs

    on = alice_client.post(f"/chats/{chat.pk}/settings/", {"allow_fallback": ["off", "on"]}, **HTMX)
    assert 'data-notice-code="fallback_on"' in on.content.decode()
    assert Chat.objects.get(pk=chat.pk).allow_fallback is True


def test_the_settings_form_needs_the_csrf_token(alice: User, demo_provider: Provider) -> None:
    chat = make_chat(owner=alice, provider=demo_provider)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(f"/chats/{chat.pk}/settings/", {"allow_fallback": "off"}, **HTMX)
    assert response.status_code == 403
    assert Chat.objects.get(pk=chat.pk).allow_fallback is True


def test_api_patch_turns_fallbacks_off(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider)
    assert alice_client.get(f"/api/chats/{chat.pk}/").json()["allow_fallback"] is True
    response = _patch(alice_client, chat, {"allow_fallback": False})
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.json()["allow_fallback"] is False  # type: ignore[attr-defined]
    assert Chat.objects.get(pk=chat.pk).allow_fallback is False


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        pytest.param("post", "/chats/{}/rename/", {"title": "mine now"}, id="rename"),
        pytest.param("post", "/chats/{}/delete/", {}, id="delete"),
        pytest.param("post", "/chats/{}/settings/", {"system_prompt": "x"}, id="settings"),
    ],
)
def test_another_users_chat_cannot_be_changed_from_the_pages(
    alice_client: Client, bob: User, demo_provider: Provider, method: str, path: str, data: dict
) -> None:
    theirs = make_chat(owner=bob, provider=demo_provider, title="bob's")
    before = Chat.objects.filter(pk=theirs.pk).values().get()
    response = getattr(alice_client, method)(path.format(theirs.pk), data, **HTMX)
    assert response.status_code == 404
    assert Chat.objects.filter(pk=theirs.pk).values().get() == before


# -- the JSON API -------------------------------------------------------------------


def _patch(client: Client, chat: Chat, body: object) -> object:
    return client.patch(f"/api/chats/{chat.pk}/", json.dumps(body), content_type="application/json")


def test_api_patch_renames_switches_model_and_sets_the_system_prompt(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    other = make_provider(name="other", kind="fake", models=["m-1"])
    chat = make_chat(owner=alice, provider=demo_provider)
    response = _patch(
        alice_client,
        chat,
        {"title": "Porto", "provider": "other", "model": "m-1", "system_prompt": "Be brief."},
    )
    assert response.status_code == 200  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["title"], body["provider"], body["model"], body["system_prompt"]) == (
        "Porto",
        "other",
        "m-1",
        "Be brief.",
    )
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.provider_id, fresh.model) == (other.pk, "m-1")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param({}, "send some of", id="nothing"),
        pytest.param({"colour": "blue"}, "send some of", id="unknown_field"),
        pytest.param({"title": ""}, "empty", id="empty_title"),
        pytest.param({"model": "not-offered"}, "does not offer", id="unknown_model"),
        pytest.param({"model": 5}, "string", id="model_not_text"),
        pytest.param({"provider": "nobody"}, "unknown provider", id="unknown_provider"),
        pytest.param({"provider": True}, "unknown provider", id="provider_bool"),
        pytest.param({"system_prompt": ["x"]}, "text", id="prompt_not_text"),
        pytest.param({"allow_fallback": "no"}, "true or false", id="allow_fallback_not_bool"),
        pytest.param({"allow_fallback": 0}, "true or false", id="allow_fallback_zero_not_bool"),
    ],
)
def test_api_patch_refusals_change_nothing(
    alice_client: Client, alice: User, demo_provider: Provider, body: dict, fragment: str
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, title="kept")
    before = Chat.objects.filter(pk=chat.pk).values().get()
    response = _patch(alice_client, chat, body)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert fragment in response.json()["error"]  # type: ignore[attr-defined]
    assert Chat.objects.filter(pk=chat.pk).values().get() == before


def test_api_delete_is_for_good(alice_client: Client, alice: User, demo_provider: Provider) -> None:
    chat = make_chat(owner=alice, provider=demo_provider)
    add_message(chat, MessageRole.USER, "hi")
    assert alice_client.delete(f"/api/chats/{chat.pk}/").status_code == 204
    assert not Chat.objects.exists() and not ChatMessage.objects.exists()
    assert alice_client.get(f"/api/chats/{chat.pk}/").status_code == 404


def test_api_search_finds_only_my_chats_with_the_matching_text(
    alice_client: Client, alice: User, bob: User, demo_provider: Provider
) -> None:
    mine = make_chat(owner=alice, provider=demo_provider, title="Weekend")
    add_message(mine, MessageRole.USER, "Could we take the train to Porto?")
    titled = make_chat(owner=alice, provider=demo_provider, title="Porto ideas")
    theirs = make_chat(owner=bob, provider=demo_provider, title="Porto")
    add_message(theirs, MessageRole.USER, "Porto is lovely")
    body = alice_client.get("/api/chats/", {"q": "porto"}).json()
    found = {chat["id"]: chat for chat in body["chats"]}
    assert set(found) == {mine.pk, titled.pk}
    assert found[mine.pk]["match"] == {"text": "Could we take the train to Porto?", "term": "Porto"}
    assert found[titled.pk]["match"] is None
    listing = alice_client.get("/api/chats/").json()["chats"]
    assert {chat["id"] for chat in listing} == {mine.pk, titled.pk}
