"""Provider API keys are encrypted at rest and readable only with the configured secret."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chatcore.keys import decrypt_api_key, encrypt_api_key

SECRET = "sk-ant-api03-very-secret-value"


def test_round_trip_and_not_plaintext() -> None:
    token = encrypt_api_key(SECRET)
    assert SECRET not in token
    assert decrypt_api_key(token) == SECRET


def test_each_encryption_differs() -> None:
    assert encrypt_api_key(SECRET) != encrypt_api_key(SECRET)


@pytest.mark.parametrize(
    ("write", "read", "readable"),
    [
        pytest.param(
            {"SECRET_KEY": "a" * 50}, {"SECRET_KEY": "a" * 50}, True, id="same_secret_key_reads"
        ),
        pytest.param(
            {"SECRET_KEY": "a" * 50},
            {"SECRET_KEY": "b" * 50},
            False,
            id="changed_secret_key_cannot_read",
        ),
        pytest.param(
            {"SECRET_KEY": "a" * 50},
            {"SECRET_KEY": "b" * 50, "SECRET_KEY_FALLBACKS": ["a" * 50]},
            True,
            id="secret_key_fallback_reads_old_keys",
        ),
        pytest.param(
            {"PROVIDER_KEY_SECRET": "p" * 40, "SECRET_KEY": "a" * 50},
            {"PROVIDER_KEY_SECRET": "p" * 40, "SECRET_KEY": "b" * 50},
            True,
            id="dedicated_secret_survives_secret_key_change",
        ),
        pytest.param(
            {"PROVIDER_KEY_SECRET": "p" * 40},
            {"PROVIDER_KEY_SECRET": "q" * 40, "PROVIDER_KEY_SECRET_FALLBACKS": ["p" * 40]},
            True,
            id="dedicated_secret_fallback_reads_old_keys",
        ),
        pytest.param(
            {"PROVIDER_KEY_SECRET": "p" * 40, "SECRET_KEY": "a" * 50},
            {"PROVIDER_KEY_SECRET": "", "SECRET_KEY": "a" * 50},
            False,
            id="dedicated_secret_is_not_secret_key",
        ),
    ],
)
def test_secret_selection(
    write: dict[str, object], read: dict[str, object], readable: bool
) -> None:
    with override_settings(**write):
        token = encrypt_api_key(SECRET)
    with override_settings(**read):
        assert decrypt_api_key(token) == (SECRET if readable else None)


@pytest.mark.parametrize(
    "token", ["", "not-a-token", "gAAAAA" + "x" * 80], ids=["empty", "garbage", "forged"]
)
def test_unreadable_tokens_are_none(token: str) -> None:
    assert decrypt_api_key(token) is None


def test_unreadable_key_is_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(SECRET_KEY="a" * 50):
        token = encrypt_api_key(SECRET)
    with override_settings(SECRET_KEY="b" * 50):
        assert decrypt_api_key(token) is None
    assert "cannot be decrypted" in caplog.text
    assert token not in caplog.text and SECRET not in caplog.text
