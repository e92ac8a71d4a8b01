"""Server-owned terminal and retry messages, provider display names and kind pill labels."""

from __future__ import annotations

import re

import pytest

from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    classify,
    kind_label,
    provider_display_name,
    retry_message,
    terminal_message,
)

PROVIDERS = [
    "",
    "anthropic",
    "azure",
    "bedrock",
    "google",
    "openai",
    "openai-compat",
    "openrouter",
    "vercel",
    "mystery",
]
# Every message family: each kind, plus the special cases that own their text.
SPECIAL_TEXTS = [
    "chat interrupted",
    "No tool output found for function call call_1",
    "anthropic stream closed before message_stop",
    "Previous response with id 'resp_1' not found",
    "Request too large for gpt-4 in organization org-x on tokens per min (TPM): Limit 10, Requested 20",
]
CASES = [ClassifiedError(kind=k, provider=p, status_code=503) for k in ErrorKind for p in PROVIDERS] + [
    classify(text, provider=p) for text in SPECIAL_TEXTS for p in PROVIDERS
] + [classify(TimeoutError(), provider=p) for p in PROVIDERS]  # fmt: skip


def _id(c: ClassifiedError) -> str:
    return f"{c.kind}-{c.provider or 'none'}-{c.message[:12] or 'template'}"


@pytest.mark.parametrize("classified", CASES, ids=_id)
def test_every_kind_has_a_terminal_and_a_retry_message(classified: ClassifiedError) -> None:
    terminal, retry = terminal_message(classified), retry_message(classified)
    assert terminal and retry
    assert terminal[0].isupper() and retry[0].isupper()
    assert terminal.endswith(".") and retry.endswith(".")


@pytest.mark.parametrize("classified", CASES, ids=_id)
def test_no_status_code_digits_in_any_message(classified: ClassifiedError) -> None:
    for text in (terminal_message(classified), retry_message(classified)):
        assert not re.search(r"\d", text), text


@pytest.mark.parametrize("classified", CASES, ids=_id)
def test_terminal_messages_never_say_try_again(classified: ClassifiedError) -> None:
    assert "try again" not in terminal_message(classified).lower()


REMEDIATION = re.compile(r"\b(check|contact|send|rephrase|start a new|choose|please)\b", re.I)


@pytest.mark.parametrize("classified", CASES, ids=_id)
def test_retry_messages_carry_no_remediation(classified: ClassifiedError) -> None:
    assert not REMEDIATION.search(retry_message(classified))


@pytest.mark.parametrize("classified", CASES, ids=_id)
def test_terminal_messages_carry_one_hint(classified: ClassifiedError) -> None:
    # What happened, then one actionable sentence (the cancel message needs none).
    sentences = [s for s in terminal_message(classified).split(". ") if s]
    assert len(sentences) <= 2


def test_unknown_provider_reads_the_ai_provider() -> None:
    assert provider_display_name("mystery") == "the AI provider"
    assert provider_display_name(None) == "the AI provider"
    overloaded = ClassifiedError(kind=ErrorKind.OVERLOADED)
    assert retry_message(overloaded) == "The AI provider is temporarily overloaded."
    disabled = ClassifiedError(kind=ErrorKind.CONFIG, provider="mystery")
    assert terminal_message(disabled).startswith("The AI provider ")


@pytest.mark.parametrize(
    ("provider", "name"),
    [("anthropic", "Anthropic"), ("azure", "Azure OpenAI"), ("azure-openai", "Azure OpenAI"),
     ("bedrock", "AWS Bedrock"), ("google", "Google"), ("openai", "OpenAI"),
     ("openai-compat", "OpenAI Compatible"), ("openai compatible", "OpenAI Compatible"),
     ("openrouter", "OpenRouter"), ("vercel", "Vercel AI Gateway")],
)  # fmt: skip
def test_provider_display_names(provider: str, name: str) -> None:
    assert provider_display_name(provider) == name


def test_retry_message_example_from_the_spec() -> None:
    assert (
        retry_message(classify("status 529", provider="anthropic"))
        == "Anthropic is temporarily overloaded."
    )


def test_classify_message_is_the_terminal_message() -> None:
    got = classify("status 401", provider="openai")
    assert got.message == terminal_message(got)
    assert "API key" in got.message


@pytest.mark.parametrize(
    ("kind", "label"),
    [("rate_limit", "Rate limit"), ("startup_timeout", "Startup timeout"), ("generic", "Unexpected error"),
     ("auth", "Authentication"), ("config", "Configuration"), ("overloaded", "Overloaded"),
     ("usage_limit", "Usage limit"), ("provider_disabled", "Provider disabled"),
     ("context_length", "Context length"), ("content_filter", "Content filter"),
     ("missing_key", "Missing API key"), ("timeout", "Timeout"), ("brand_new_kind", "Brand new kind"),
     ("weird-kind.x", "Weird kind x"), ("", "Unexpected error")],
)  # fmt: skip
def test_kind_labels_are_humanised_never_raw(kind: str, label: str) -> None:
    assert kind_label(kind) == label


def test_every_kind_has_a_label_that_is_not_its_value() -> None:
    for kind in ErrorKind:
        assert kind_label(kind) != kind.value


def test_plain_string_kinds_read_like_members() -> None:
    for kind in ErrorKind:
        as_text = ClassifiedError(kind=kind.value, provider="openai")
        as_member = ClassifiedError(kind=kind, provider="openai")
        assert terminal_message(as_text) == terminal_message(as_member)
        assert retry_message(as_text) == retry_message(as_member)
        assert kind_label(kind.value) == kind_label(kind)
