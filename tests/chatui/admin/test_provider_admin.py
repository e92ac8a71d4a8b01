"""The provider admin: a write-only API key that no admin page ever renders."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chatcore.models import ModelFallback, Provider, ProviderKind
from tests.chatcore.persistence.factories import make_chat, make_provider

pytestmark = pytest.mark.django_db

KEY = "sk-ant-api03-SUPER-SECRET-KEY-value"
ENV = "CALMCHAT_ADMIN_TEST_API_KEY"
ADD = reverse("admin:chatcore_provider_add")
CHANGELIST = reverse("admin:chatcore_provider_changelist")
NO_FALLBACKS = {
    "fallbacks-TOTAL_FORMS": "0",
    "fallbacks-INITIAL_FORMS": "0",
    "fallbacks-MIN_NUM_FORMS": "0",
    "fallbacks-MAX_NUM_FORMS": "1000",
}


def _change_url(provider: Provider) -> str:
    return reverse("admin:chatcore_provider_change", args=[provider.pk])


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Main",
        "kind": ProviderKind.ANTHROPIC,
        "base_url": "",
        "enabled": "on",
        "model_list": "claude-a\nclaude-b\n",
        "default_model": "claude-a",
        "api_key": "",
        "api_key_env": "",
        # The model fallbacks inline's management form: no fallbacks.
        **NO_FALLBACKS,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _pages(client: Client, provider: Provider) -> dict[str, str]:
    """Every admin page that shows the provider, or could echo its key."""
    urls = {
        "changelist": CHANGELIST,
        "change": _change_url(provider),
        "history": reverse("admin:chatcore_provider_history", args=[provider.pk]),
        "delete": reverse("admin:chatcore_provider_delete", args=[provider.pk]),
        "chat_changelist": reverse("admin:chatcore_chat_changelist"),
        "index": reverse("admin:index"),
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def test_adding_a_key_stores_it_encrypted_and_never_renders_it(staff_client: Client) -> None:
    response = staff_client.post(ADD, _form(api_key=KEY))
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = Provider.objects.get(name="Main")
    assert provider.get_api_key() == KEY and provider.key_id is not None
    assert provider.model_names == ["claude-a", "claude-b"]
    make_chat(provider=provider)

    pages = _pages(staff_client, provider)
    for name, html in pages.items():
        assert KEY not in html, name
        assert provider.api_key_encrypted not in html, name
    assert '<div class="readonly">set</div>' in pages["change"]
    assert str(provider.key_id) in pages["change"]


def test_replacing_the_key_changes_its_id(staff_client: Client) -> None:
    provider = make_provider(name="Main", key=KEY, models=["claude-a"], default_model="claude-a")
    old_id = provider.key_id
    response = staff_client.post(_change_url(provider), _form(api_key="sk-new-key"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.get_api_key() == "sk-new-key" and provider.key_id not in (None, old_id)


def test_saving_without_a_key_keeps_the_stored_one(staff_client: Client) -> None:
    provider = make_provider(name="Main", key=KEY)
    key_id = provider.key_id
    response = staff_client.post(_change_url(provider), _form(enabled=""))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.get_api_key(), provider.key_id, provider.enabled) == (KEY, key_id, False)


def test_clearing_the_key(staff_client: Client) -> None:
    provider = make_provider(name="Main", key=KEY)
    response = staff_client.post(_change_url(provider), _form(clear_api_key="on"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.get_api_key(), provider.key_id, provider.api_key_encrypted) == (None, None, "")
    assert "not set" in staff_client.get(CHANGELIST).content.decode()


def test_switching_to_an_environment_variable(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "sk-from-env")
    provider = make_provider(name="Main", key=KEY)
    response = staff_client.post(_change_url(provider), _form(api_key_env=ENV))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.api_key_encrypted, provider.get_api_key()) == ("", "sk-from-env")
    html = staff_client.get(CHANGELIST).content.decode()
    assert f"environment variable {ENV} (set)" in html and "sk-from-env" not in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"api_key": KEY, "clear_api_key": "on"}, "not both", id="key_and_clear"),
        pytest.param({"api_key": KEY, "api_key_env": ENV}, "not both", id="key_and_env"),
        pytest.param(
            {"default_model": "other"}, "must be one of the models", id="default_not_offered"
        ),
    ],
)
def test_invalid_forms_never_echo_the_key(
    staff_client: Client, overrides: dict[str, str], message: str
) -> None:
    provider = make_provider(name="Main", key=KEY)
    response = staff_client.post(_change_url(provider), _form(**overrides))
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert KEY not in html
    provider.refresh_from_db()
    assert provider.get_api_key() == KEY


def test_scheme_less_base_url_means_https(staff_client: Client) -> None:
    response = staff_client.post(ADD, _form(base_url="llm.example.test/v1"))
    assert response.status_code == 302
    assert Provider.objects.get(name="Main").base_url == "https://llm.example.test/v1"


# -- the model fallbacks inline ----------------------------------------------------


def _fallback_rows(*rows: dict[str, str], initial: int = 0) -> dict[str, str]:
    data = {**NO_FALLBACKS, "fallbacks-TOTAL_FORMS": str(len(rows))}
    data["fallbacks-INITIAL_FORMS"] = str(initial)
    for index, row in enumerate(rows):
        fields = {"position": "0", "after_attempts": "2", "on_overloaded": "on", **row}
        data.update({f"fallbacks-{index}-{key}": value for key, value in fields.items() if value})
    return data


def test_a_fallback_is_added_in_the_providers_page(staff_client: Client) -> None:
    provider = make_provider(name="Main", models=["claude-a", "claude-b"], default_model="claude-a")
    rows = _fallback_rows(
        {"model": "claude-a", "to_model": "claude-b", "on_context_length": "on"},
        {"model": "claude-b", "to_model": "claude-c", "position": "1", "on_overloaded": ""},
    )
    # claude-c is added to the models in the same save.
    form = _form(model_list="claude-a\nclaude-b\nclaude-c\n", **rows)
    response = staff_client.post(_change_url(provider), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = list(
        ModelFallback.objects.filter(provider=provider).values_list(
            "model", "to_model", "position", "on_overloaded", "on_context_length", "on_rate_limit"
        )
    )
    assert saved == [
        ("claude-a", "claude-b", 0, True, True, False),
        ("claude-b", "claude-c", 1, False, False, False),
    ]
    page = staff_client.get(_change_url(provider)).content.decode()
    assert "Model fallbacks" in page and 'name="fallbacks-0-to_model"' in page


@pytest.mark.parametrize(
    ("row", "field", "error"),
    [
        pytest.param(
            {"model": "claude-a", "to_model": "claude-a"},
            "to_model",
            "A model cannot fall back to itself.",
            id="not_to_itself",
        ),
        pytest.param(
            {"model": "claude-a", "to_model": "gpt-x"},
            "to_model",
            "“gpt-x” is not one of this provider's models.",
            id="to_model_of_this_provider",
        ),
        pytest.param(
            {"model": "other", "to_model": "claude-b"},
            "model",
            "“other” is not one of this provider's models.",
            id="model_of_this_provider",
        ),
    ],
)
def test_a_fallback_names_two_different_models_of_the_provider(
    staff_client: Client, row: dict[str, str], field: str, error: str
) -> None:
    provider = make_provider(name="Main", models=["claude-a", "claude-b"], default_model="claude-a")
    response = staff_client.post(_change_url(provider), _form(**_fallback_rows(row)))
    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"]).formset
    assert formset.forms[0].errors[field] == [error]
    assert not ModelFallback.objects.exists()
