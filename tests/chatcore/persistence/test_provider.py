"""Provider keys: encrypted or from the environment, with a key id that tracks their lifetime."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chatcore.models import Provider, ProviderKind
from tests.chatcore.persistence.factories import make_provider

pytestmark = pytest.mark.django_db

SECRET = "sk-proj-abc123-secret"
ENV = "CHAT_PROVIDER_KEY_CALMCHAT_TEST"


def test_stored_key_is_encrypted_in_the_database() -> None:
    provider = make_provider(key=SECRET)
    row = Provider.objects.filter(pk=provider.pk).values().get()
    assert SECRET not in repr(row)
    assert Provider.objects.get(pk=provider.pk).get_api_key() == SECRET


def test_key_id_is_new_for_every_key_and_cleared_with_it() -> None:
    provider = make_provider()
    assert provider.key_id is None and not provider.has_key
    provider.set_api_key(SECRET)
    first = provider.key_id
    provider.set_api_key("sk-another")
    assert first is not None and provider.key_id not in (None, first)
    provider.clear_api_key()
    assert provider.key_id is None
    assert (provider.api_key_encrypted, provider.api_key_env) == ("", "")
    assert provider.get_api_key() is None


@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
def test_setting_a_blank_key_clears_it(blank: str) -> None:
    provider = make_provider(key=SECRET)
    provider.set_api_key(blank)
    assert provider.key_id is None and not provider.has_key


def test_env_key_is_read_at_use_time(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = make_provider(key=SECRET)
    provider.set_api_key_env(ENV)
    assert provider.api_key_encrypted == "" and provider.key_id is not None
    monkeypatch.delenv(ENV, raising=False)
    assert provider.get_api_key() is None and not provider.has_key
    assert provider.key_status == f"environment variable {ENV} (not set)"
    monkeypatch.setenv(ENV, "  sk-from-env  ")
    assert provider.get_api_key() == "sk-from-env"
    assert provider.key_status == f"environment variable {ENV} (set)"


def test_stored_key_readable_only_with_its_secret() -> None:
    with override_settings(SECRET_KEY="a" * 50):
        provider = make_provider(key=SECRET)
        assert provider.key_status == "set"
    with override_settings(SECRET_KEY="b" * 50):
        assert provider.get_api_key() is None
        assert provider.key_status == "stored, but cannot be decrypted"


@pytest.mark.parametrize(
    ("kind", "classifier_provider"),
    [
        (ProviderKind.OPENAI, "openai"),
        (ProviderKind.OPENAI_RESPONSES, "openai"),
        (ProviderKind.ANTHROPIC, "anthropic"),
        (ProviderKind.OPENAI_COMPATIBLE, "openai-compat"),
        (ProviderKind.FAKE, ""),
    ],
    ids=str,
)
def test_classifier_provider_per_kind(kind: ProviderKind, classifier_provider: str) -> None:
    assert Provider(kind=kind).classifier_provider == classifier_provider


def test_every_kind_has_a_classifier_provider() -> None:
    assert {Provider(kind=kind).classifier_provider for kind in ProviderKind} <= {
        "openai",
        "anthropic",
        "openai-compat",
        "",
    }


@pytest.mark.parametrize(
    ("stored", "names"),
    [
        (["a", "b"], ["a", "b"]),
        (["a", "", "  "], ["a"]),
        ("not-a-list", []),
        ({"a": 1}, []),
    ],
    ids=["list", "blank_entries_dropped", "string_is_not_a_list", "object_is_not_a_list"],
)
def test_model_names_tolerate_hand_edited_values(stored: object, names: list[str]) -> None:
    assert Provider(models=stored).model_names == names


def test_str_is_the_name_and_never_the_key() -> None:
    provider = make_provider(name="Main", key=SECRET)
    assert str(provider) == "Main"
    assert SECRET not in repr(provider)


def test_enabled_queryset() -> None:
    on = make_provider(enabled=True)
    make_provider(enabled=False)
    assert list(Provider.objects.enabled()) == [on]
