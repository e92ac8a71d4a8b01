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
