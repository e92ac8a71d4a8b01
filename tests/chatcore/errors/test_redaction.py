"""API keys and tokens never leave the classifier: detail and message are redacted."""

from __future__ import annotations

import json

import pytest

from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    ProviderError,
    classify,
    with_classification,
)

K = ErrorKind


@pytest.mark.parametrize(
    "secret",
    ["sk-test-1234567890abcdef", "sk-ant-api03-abcdEFGH1234567890", "sk-proj-AbC123xyz789",
     "AIzaSyA1234567890abcdefghijklmnopqrstu", "AKIAIOSFODNN7EXAMPLE"],
)  # fmt: skip
def test_keys_are_redacted_from_detail(secret: str) -> None:
    body = json.dumps({"error": {"message": f"key {secret} is not allowed here"}})
    got = classify(ProviderError("x", status_code=400, body=body))
    assert secret not in got.detail
    assert "[REDACTED]" in got.detail


@pytest.mark.parametrize(
    ("text", "leak"),
    [("upstream said: Authorization: Bearer abc.def.ghi-123", "abc.def.ghi-123"),
     ("GET /v1/models?key=AbCdEf123456 failed", "AbCdEf123456"),
     ('{"api_key": "hunter2hunter2"} rejected', "hunter2hunter2")],
    ids=["bearer", "key_query", "api_key_json"],
)  # fmt: skip
def test_tokens_and_key_values_are_redacted(text: str, leak: str) -> None:
    got = classify(ProviderError(text, status_code=400))
    assert leak not in got.detail + got.message


def test_redaction_applies_to_attached_messages() -> None:
    error = with_classification(
        RuntimeError("x"), ClassifiedError(kind=K.AUTH, message="bad key sk-live-abcdef123456")
    )
    assert "sk-live-abcdef123456" not in classify(error).message


# Fragments providers echo back, often half-masked by the provider itself: the
# visible ends are enough to identify a key, so the whole fragment goes.
# (id, provider text, the fragment that must not survive)
ECHOED = [
    ("openai_project_key_masked", "Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.", "****abcd"),
    ("openai_legacy_key_masked", "Incorrect API key provided: sk-abc12***********************xyz9.", "xyz9"),
    ("openai_key_with_dots", "Incorrect API key provided: 'sk-...wxyz'.", "wxyz"),
    ("anthropic_key", "invalid x-api-key: sk-ant-api03-AbCdEfGh-XyZ", "AbCdEfGh"),
    ("openrouter_key", "No auth credentials found for sk-or-v1-0123abcd", "0123abcd"),
    ("xai_key_without_prefix_left", "Incorrect API key provided: xa***Xz. You can obtain an API key from https://console.x.ai.", "xa***Xz"),
    ("xai_key", "API key xai-Ab12****Yz89 is not valid", "Ab12"),
    ("groq_key", "Invalid API Key: gsk_****wxyz", "wxyz"),
    ("google_key_masked", "API key not valid: AIzaSyD****9abc", "9abc"),
    ("google_key_in_url", "POST /v1beta/models/gemini:generateContent?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI failed", "AIzaSyDdI0hCZtE6vySjMm"),
    ("deepseek_key_after_colon", "Authentication Fails, Your api key: ****abcd is invalid", "****abcd"),
    ("bearer_token", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig rejected", "eyJhbGciOiJIUzI1NiJ9"),
    ("key_equals", "upstream 401 for key=ak_live_9f8e7d6c", "ak_live_9f8e7d6c"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), [r[1:] for r in ECHOED], ids=[r[0] for r in ECHOED])
def test_echoed_key_fragments_are_masked_in_detail_and_message(text: str, fragment: str) -> None:
    body = json.dumps({"error": {"message": text, "type": "invalid_request_error"}})
    for error in (
        ProviderError(text, status_code=401),
        ProviderError("x", status_code=401, body=body),
    ):
        got = classify(error)
        assert fragment not in got.detail + got.message
        attached = classify(
            with_classification(
                RuntimeError("x"), ClassifiedError(kind=K.AUTH, message=text, detail=text)
            )
        )
        assert fragment not in attached.detail + attached.message


@pytest.mark.parametrize(
    "text",
    ["Incorrect API key provided. You can find your API key in your account settings.",
     "missing bearer token", "Bearer authentication is required", "desk-reservations are full",
     "the task-list. is empty"],
    ids=["no_key_echoed", "bearer_token_phrase", "bearer_scheme_word", "sk_inside_a_word", "sk_list_word"],
)  # fmt: skip
def test_ordinary_words_are_not_masked(text: str) -> None:
    got = classify(
        ProviderError("x", status_code=400, body=json.dumps({"error": {"message": text}}))
    )
    assert got.detail == text
