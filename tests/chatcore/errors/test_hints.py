"""Empty input, provider detection and hints, attached classifications."""

from __future__ import annotations

import pytest

from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    ProviderError,
    classify,
    with_classification,
)
from tests.chatcore.errors.chains import chained

K = ErrorKind


@pytest.mark.parametrize("empty", [None, "", "   \n"], ids=["none", "empty", "blank"])
def test_empty_input_is_an_empty_classification(empty: str | None) -> None:
    assert classify(empty) == ClassifiedError()
    assert classify(empty).kind == ""


@pytest.mark.parametrize(
    ("text", "provider"),
    [("openai-compat server failed", "openai-compat"), ("OpenAI compatible gateway", "openai-compat"),
     ("azure openai deployment", "azure"), ("azure-openai", "azure"), ("openrouter upstream", "openrouter"),
     ("aws bedrock runtime", "bedrock"), ("bedrock says", "bedrock"), ("vercel ai gateway", "vercel"),
     ("claude is busy", "anthropic"), ("anthropic api", "anthropic"), ("gemini failed", "google"),
     ("vertex ai", "google"), ("google api", "google"), ("openai api", "openai"),
     ("azure openai via openrouter", "azure"), ("nothing here", "")],
    ids=lambda v: str(v).replace(" ", "_"),
)  # fmt: skip
def test_provider_from_text_first_match_wins(text: str, provider: str) -> None:
    assert classify(text).provider == provider


@pytest.mark.parametrize(
    ("hint", "provider"),
    [(" Azure OpenAI ", "azure"), ("azure-openai", "azure"), ("openai compat", "openai-compat"),
     ("OpenAI Compatible", "openai-compat"), ("openai_compat", "openai-compat"), ("ANTHROPIC", "anthropic")],
)  # fmt: skip
def test_provider_hint_is_normalised_and_beats_the_text(hint: str, provider: str) -> None:
    assert classify("anthropic is overloaded", provider=hint).provider == provider


def test_with_classification_round_trip_unchanged() -> None:
    classified = ClassifiedError(kind=K.MISSING_KEY, provider="openai").with_provider("openai")
    error = with_classification(ProviderError("key gone", status_code=401), classified)
    assert classify(error) == classified
    assert classify(chained(RuntimeError("outer"), error)) == classified


def test_with_classification_normalises() -> None:
    error = with_classification(
        RuntimeError("x"), ClassifiedError(kind="", provider="Azure OpenAI", retry_after=-4.0)
    )
    got = classify(error)
    assert (got.kind, got.provider, got.retry_after) == (K.GENERIC, "azure", 0.0)
    assert got.message == "Azure OpenAI returned an unexpected error. Send the message again."


def test_with_provider_regenerates_the_message() -> None:
    got = classify("status 529").with_provider("vercel")
    assert (got.provider, got.message) == (
        "vercel", "Vercel AI Gateway is overloaded and could not answer. Send the message again later.",
    )  # fmt: skip
