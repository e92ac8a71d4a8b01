"""The provider status line as the pages first render it, from ``ProviderHealth`` rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from chatcore.models import BreakerState, Provider, ProviderHealth
from chatui.gallery.dom import parse_html, select, text_of
from tests.chatcore.persistence.factories import make_chat, make_provider

pytestmark = pytest.mark.django_db


def _page(client: Client, path: str):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    return parse_html(response.content.decode())


def _degrade(provider: Provider, model: str = "", **fields: object) -> ProviderHealth:
    fields.setdefault("state", BreakerState.OK)
    fields.setdefault("cooldown_until", timezone.now() + timedelta(seconds=60))
    fields.setdefault("cooldown_kind", "overloaded")
    fields.setdefault("last_kind", "overloaded")
    return ProviderHealth.objects.create(provider=provider, model=model, **fields)


def test_a_chat_page_shows_its_providers_cooldown(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, model="echo")
    _degrade(demo_provider, "", waiting=4)
    page = _page(alice_client, f"/chats/{chat.pk}/")
    (slot,) = select(page, "#provider-status[data-provider-status-slot]")
    (line,) = select(slot, "[data-provider-status]")
    assert (line.attrs["data-provider"], line.attrs["data-state"]) == ("demo", "cooldown")
    text = text_of(select(line, "[data-provider-status-text]")[0])
    assert text.startswith("demo is overloaded: 4 chats waiting, next try ")


def test_an_open_breaker_on_the_chats_model_shows(
    alice_client: Client, alice: User, demo_provider: Provider
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, model="echo")
    _degrade(
        demo_provider,
        "echo",
        state=BreakerState.OPEN,
        open_until=timezone.now() + timedelta(seconds=30),
        cooldown_until=None,
        last_kind="timeout",
    )
    (line,) = select(_page(alice_client, f"/chats/{chat.pk}/"), "[data-provider-status]")
    assert line.attrs["data-state"] == "open"


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("ok", id="ok_shows_nothing"),
        pytest.param("other_model", id="another_models_trouble_is_not_this_chats"),
        pytest.param("other_provider", id="another_providers_trouble_is_not_this_chats"),
        pytest.param("expired", id="a_cooldown_that_ran_out_is_over"),
    ],
)
def test_no_line_when_the_chats_provider_and_model_are_ok(
    alice_client: Client, alice: User, demo_provider: Provider, where: str
) -> None:
    chat = make_chat(owner=alice, provider=demo_provider, model="echo")
    if where == "ok":
        _degrade(demo_provider, "", cooldown_until=None)
    elif where == "other_model":
        _degrade(demo_provider, "demo-flaky")
    elif where == "other_provider":
        _degrade(make_provider(name="other"), "")
    else:
        _degrade(demo_provider, "", cooldown_until=timezone.now() - timedelta(seconds=1))
    page = _page(alice_client, f"/chats/{chat.pk}/")
    assert select(page, "#provider-status[data-provider-status-slot]")
    assert not select(page, "[data-provider-status]")


def test_the_new_chat_picker_lists_degraded_providers_and_models(
    alice_client: Client, demo_provider: Provider
) -> None:
    other = make_provider(name="Other <b>AI</b>")
    _degrade(demo_provider, "demo-flaky", waiting=1)
    _degrade(other, "", cooldown_kind="rate_limit", last_kind="rate_limit")
    _degrade(make_provider(name="off", enabled=False), "")
    page = _page(alice_client, "/chats/new/")
    (listing,) = select(page, "[data-new-chat-form] #provider-status-list")
    lines = select(listing, "[data-provider-status]")
    assert [(n.attrs["data-provider"], n.attrs["data-model"]) for n in lines] == [
        ("demo", "demo-flaky"),
        ("Other <b>AI</b>", ""),
    ]
    texts = [text_of(select(n, "[data-provider-status-text]")[0]) for n in lines]
    assert texts[0].startswith("demo-flaky on demo is overloaded: 1 chat waiting, next try ")
    assert texts[1].startswith("Other <b>AI</b> is rate limiting requests: next try ")
    (sidebar,) = select(page, "[data-sidebar]")
    assert sidebar.attrs["ws-connect"].endswith("&health=1"), "the socket keeps them live"


def test_the_new_chat_picker_shows_nothing_while_all_is_well(
    alice_client: Client, demo_provider: Provider
) -> None:
    page = _page(alice_client, "/chats/new/")
    assert select(page, "#provider-status-list") and not select(page, "[data-provider-status]")
