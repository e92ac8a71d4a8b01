"""An admin setting cannot send another secret anywhere.

Before: ``api_key_env`` took any variable name (the session-signing key, say)
and its value went as a bearer token to whatever ``base_url`` said. Now only
allow-listed names qualify, the admin form refuses the others, a provider
stored with a refused name (before the allow-list, or by hand) has no key and
its chats fail as ``missing_key`` without calling anyone, and moving a keyed
provider to a new address needs the key again or an explicit confirmation.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from chatcore.chats import create_chat
from chatcore.keys import NEVER_KEY_VARIABLES, key_variable_allowed
from chatcore.models import Provider, ProviderKind
from tests.fakeserver import FakeProviderServer
from tests.security.conftest import World, db, logged_in
from tests.security.turns import run_turn

PLANTED = "planted-secret-value-0123456789"

NAMES = [
    # (row id, variable name, allowed by the default patterns)
    pytest.param("OPENAI_API_KEY", True, id="ends_in_api_key"),
    pytest.param("ANTHROPIC_API_KEY", True, id="anthropic_api_key"),
    pytest.param("CHAT_PROVIDER_KEY_LOCAL", True, id="our_own_prefix"),
    pytest.param("DJANGO_SECRET_KEY", False, id="the_session_signing_key"),
    pytest.param("DJANGO_SECRET_KEY_FALLBACKS", False, id="old_signing_keys"),
    pytest.param("PROVIDER_KEY_SECRET", False, id="the_key_encryption_secret"),
    pytest.param("DATABASE_URL", False, id="database_password_in_the_url"),
    pytest.param("REDIS_URL", False, id="redis_url"),
    pytest.param("METRICS_TOKEN", False, id="metrics_token"),
    pytest.param("HOME", False, id="any_other_variable"),
    pytest.param("openai_api_key", False, id="patterns_are_case_sensitive"),
    pytest.param("X_API_KEY=1", False, id="not_a_variable_name"),
    pytest.param("MY_API_KEY_2", False, id="suffix_must_end_the_name"),
]


@pytest.mark.parametrize(("name", "allowed"), NAMES)
def test_which_variables_may_hold_a_provider_key(name: str, allowed: bool) -> None:
    assert key_variable_allowed(name) is allowed


@pytest.mark.parametrize("name", sorted(NEVER_KEY_VARIABLES))
def test_our_own_secrets_are_refused_even_by_a_catch_all_pattern(name: str, settings: Any) -> None:
    settings.CHAT_PROVIDER_KEY_ENV = ["*"]
    assert not key_variable_allowed(name)
    assert key_variable_allowed("ANY_OTHER_NAME")


NO_FALLBACKS = {
    "fallbacks-TOTAL_FORMS": "0",
    "fallbacks-INITIAL_FORMS": "0",
    "fallbacks-MIN_NUM_FORMS": "0",
    "fallbacks-MAX_NUM_FORMS": "1000",
}


def _form(provider: Provider | None = None, **overrides: str) -> dict[str, str]:
    data = {
        "name": provider.name if provider else "exfil",
        "kind": provider.kind if provider else ProviderKind.OPENAI_COMPATIBLE,
        "base_url": provider.base_url if provider else "https://collector.example.test/v1",
        "enabled": "on",
        "model_list": "m\n",
        "default_model": "m",
        "api_key": "",
        "api_key_env": provider.api_key_env if provider else "",
        # The model fallbacks inline's management form: no fallbacks.
        **NO_FALLBACKS,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [p.values[0] for p in NAMES if not p.values[1] and "=" not in p.values[0]]
)
def test_the_admin_refuses_a_forbidden_key_variable(world: World, name: str) -> None:
    client = logged_in(world.staff)
    before = list(Provider.objects.values())
    response = client.post(reverse("admin:chatcore_provider_add"), _form(api_key_env=name))
    assert response.status_code == 200, "the form is shown again, with the error"
    html = response.content.decode()
    assert f"{name} cannot hold a provider key" in html
    assert list(Provider.objects.values()) == before


@pytest.mark.django_db
def test_the_admin_accepts_an_allowed_key_variable(world: World) -> None:
    client = logged_in(world.staff)
    response = client.post(
        reverse("admin:chatcore_provider_add"), _form(api_key_env="CHAT_PROVIDER_KEY_LOCAL")
    )
    assert response.status_code == 302
    assert Provider.objects.get(name="exfil").api_key_env == "CHAT_PROVIDER_KEY_LOCAL"


@pytest.mark.django_db(transaction=True)
async def test_a_provider_stored_with_a_forbidden_variable_fails_as_missing_key(
    world: World, layer: Any, fake: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data from before the allow-list: no crash, no call, the secret never sent."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", PLANTED)

    def legacy() -> int:
        provider = Provider.objects.create(
            name="legacy",
            kind="fake",
            base_url=fake.openai_base_url,
            models=["demo-echo"],
            default_model="demo-echo",
        )
        provider.api_key_env = "DJANGO_SECRET_KEY"  # as stored before the allow-list
        provider.key_id = uuid.uuid4()
        provider.save()
        assert "not allowed" in provider.key_status and provider.get_api_key() is None
        return create_chat(owner=world.owner, provider=provider).pk

    chat_id = await db(legacy)()
    chat = await run_turn(layer, chat_id, "hello", [{"kind": "ok"}])
    assert chat.error is not None and chat.error.kind == "missing_key"
    assert fake.requests() == [], "nothing was sent to the provider"


MOVES = [
    # (row id, the change, what else the form says, accepted)
    pytest.param({"base_url": "https://elsewhere.example.test/v1"}, {}, False, id="new_url"),
    pytest.param({"kind": ProviderKind.ANTHROPIC}, {}, False, id="new_kind"),
    pytest.param(
        {"base_url": "https://elsewhere.example.test/v1"},
        {"confirm_key_destination": "on"},
        True,
        id="new_url_confirmed",
    ),
    pytest.param(
        {"base_url": "https://elsewhere.example.test/v1"},
        {"api_key": "sk-entered-again"},
        True,
        id="new_url_with_the_key_again",
    ),
    pytest.param(
        {"base_url": "https://elsewhere.example.test/v1"},
        {"clear_api_key": "on"},
        True,
        id="new_url_without_a_key",
    ),
    pytest.param({"enabled": ""}, {}, True, id="same_address"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "also", "accepted"), MOVES)
def test_moving_a_keyed_provider_needs_the_key_again_or_a_confirmation(
    world: World, change: dict[str, str], also: dict[str, str], accepted: bool
) -> None:
    provider = Provider.objects.create(
        name="keyed", kind=ProviderKind.OPENAI_COMPATIBLE, base_url="https://llm.example.test/v1"
    )
    provider.set_api_key("sk-the-stored-key")
    provider.save()
    before = Provider.objects.values().get(pk=provider.pk)
    url = reverse("admin:chatcore_provider_change", args=[provider.pk])
    response = logged_in(world.staff).post(url, _form(provider, **change, **also))
    if accepted:
        assert response.status_code == 302, response.content.decode()[:2000]
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "API key would be sent to the new address" in html
    assert "sk-the-stored-key" not in html
    assert Provider.objects.values().get(pk=provider.pk) == before
