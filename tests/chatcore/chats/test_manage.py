"""Managing chats on a real database: automatic titles, rename, model and system prompt
switches, hard delete (stopping a running turn first)."""

from __future__ import annotations

import uuid

import pytest

from chatcore.chats import auto_title, lifecycle
from chatcore.chats.commands import send
from chatcore.chats.manage import SettingsRefused, delete_chat, rename, update_settings
from chatcore.chats.titles import AUTO_TITLE_CHARS
from chatcore.chats.validation import Outgoing
from chatcore.models import (
    Chat,
    ChatMessage,
    ChatRetryEvent,
    ChatStatus,
    MessageRole,
    ProviderKind,
)
from tests.chatcore.persistence.factories import add_message, make_chat, make_provider

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("message", "title"),
    [
        pytest.param(
            "Plan a trip to Porto", "Plan a trip to Porto", id="short_message_is_the_title"
        ),
        pytest.param("  hello\n\nworld ", "hello", id="first_line_only"),
        pytest.param("\n\n   \nsecond line", "second line", id="blank_lines_skipped"),
        pytest.param(
            "# Retry **policy** for `httpx`", "Retry policy for httpx", id="markdown_marks_go"
        ),
        pytest.param("> quoted - point", "quoted - point", id="quote_marker_goes"),
        pytest.param("1. first step", "first step", id="list_number_goes"),
        pytest.param("tab\there", "tab here", id="control_characters_become_spaces"),
        pytest.param("```\n", "", id="only_marks_no_title"),
        pytest.param("", "", id="empty_no_title"),
        pytest.param(
            "word " * 30,
            "word word word word word word word word word word word…",
            id="long_cut_at_a_word",
        ),
        pytest.param("x" * 100, "x" * (AUTO_TITLE_CHARS - 1) + "…", id="no_space_cut_hard"),
    ],
)
def test_auto_title(message: str, title: str) -> None:
    assert auto_title(message) == title
    assert len(auto_title(message)) <= AUTO_TITLE_CHARS


def test_the_first_message_titles_an_untitled_chat_and_later_ones_do_not() -> None:
    chat = make_chat(title="")
    assert (
        send(chat, Outgoing("What is a **Retry-After** header?\nDetails follow")).outcome
        == "accepted"
    )
    chat.refresh_from_db()
    assert chat.title == "What is a Retry-After header?"
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.IDLE)
    send(chat, Outgoing("Something else entirely"))
    chat.refresh_from_db()
    assert chat.title == "What is a Retry-After header?"


def test_a_chosen_title_is_kept_by_the_first_message() -> None:
    chat = make_chat(title="My own title")
    send(chat, Outgoing("A first message"))
    chat.refresh_from_db()
    assert chat.title == "My own title"


def test_a_refused_send_titles_nothing() -> None:
    chat = make_chat(title="", status=ChatStatus.RUNNING)
    assert send(chat, Outgoing("busy now")).outcome == "busy"
    chat.refresh_from_db()
    assert chat.title == ""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("  Trip ideas  ", "Trip ideas", id="trimmed"),
        pytest.param("Two\nlines", "Two lines", id="one_line"),
        pytest.param("<b>bold</b>", "<b>bold</b>", id="markup_is_text"),
        pytest.param("x" * 200, "x" * 200, id="at_the_limit"),
    ],
)
def test_rename_stores_a_clean_title_without_moving_the_chat(typed: str, stored: str) -> None:
    chat = make_chat(title="old")
    before = Chat.objects.get(pk=chat.pk).updated_at
    assert rename(chat, typed) == stored
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.title, fresh.updated_at) == (stored, before), "a rename is not activity"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   \n ", "empty", id="blank"),
        pytest.param("x" * 201, "200", id="too_long"),
        pytest.param("nul\x00here", "NUL", id="nul"),
        pytest.param("\ud800", "valid text", id="lone_surrogate"),
        pytest.param(42, "text", id="not_text"),
        pytest.param(None, "text", id="none"),
    ],
)
def test_rename_refuses_what_is_not_a_title(typed: object, reason: str) -> None:
    chat = make_chat(title="old")
    with pytest.raises(SettingsRefused, match=reason):
        rename(chat, typed)
    assert Chat.objects.get(pk=chat.pk).title == "old"


def test_switching_the_model_keeps_the_provider_and_ends_a_chain() -> None:
    provider = make_provider(models=["model-a", "model-b"])
    chat = make_chat(provider=provider, model="model-a", previous_response_id="resp_1")
    before = Chat.objects.get(pk=chat.pk).updated_at
    update_settings(chat, model="model-b")
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.provider_id, fresh.model, fresh.previous_response_id) == (
        provider.pk,
        "model-b",
        "",
    )
    assert fresh.updated_at == before, "a settings change is not activity"


def test_switching_provider_records_its_key_and_chain_mode() -> None:
    chat = make_chat(provider=make_provider(kind=ProviderKind.ANTHROPIC))
    responses = make_provider(
        kind=ProviderKind.OPENAI_RESPONSES, key="sk-test-key-0123456789", models=["gpt-x"]
    )
    update_settings(chat, provider=responses, model="gpt-x")
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.provider_id, fresh.model, fresh.api_key_ref, fresh.chain_mode) == (
        responses.pk,
        "gpt-x",
        responses.key_id,
        True,
    )


def test_a_provider_with_only_a_default_model_offers_it() -> None:
    chat = make_chat()
    bare = make_provider(models=[], default_model="only-one")
    update_settings(chat, provider=bare, model="only-one")
    assert Chat.objects.get(pk=chat.pk).model == "only-one"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"model": "not-offered"}, "does not offer", id="unknown_model"),
        pytest.param({"model": "  "}, "does not offer", id="blank_model"),
        pytest.param(
            {"provider": "disabled", "model": "model-a"}, "disabled", id="disabled_provider"
        ),
        pytest.param({"provider": "other"}, "does not offer", id="chat_model_not_on_new_provider"),
        pytest.param({"system_prompt": 12}, "text", id="prompt_not_text"),
        pytest.param({"system_prompt": "a\x00b"}, "text", id="prompt_with_nul"),
        pytest.param({"system_prompt": "x" * 32_001}, "32000", id="prompt_too_long"),
    ],
)
def test_settings_refusals_change_nothing(change: dict, reason: str) -> None:
    providers = {
        "disabled": make_provider(enabled=False, models=["model-a"]),
        "other": make_provider(models=["other-model"]),
    }
    chat = make_chat(model="model-a", system_prompt="keep me")
    if "provider" in change:
        change = {**change, "provider": providers[change["provider"]]}
    before = Chat.objects.filter(pk=chat.pk).values().get()
    with pytest.raises(SettingsRefused, match=reason):
        update_settings(chat, **change)
    assert Chat.objects.filter(pk=chat.pk).values().get() == before


def test_the_chats_own_model_is_accepted_even_if_no_longer_offered() -> None:
    provider = make_provider(models=["new-model"])
    chat = make_chat(provider=provider, model="retired-model")
    update_settings(chat, model="retired-model", system_prompt="Be brief.")
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.model, fresh.system_prompt) == ("retired-model", "Be brief.")


def test_system_prompt_is_trimmed_and_can_be_cleared() -> None:
    chat = make_chat()
    update_settings(chat, system_prompt="  Answer in French.  ")
    assert Chat.objects.get(pk=chat.pk).system_prompt == "Answer in French."
    update_settings(chat, system_prompt="")
    assert Chat.objects.get(pk=chat.pk).system_prompt == ""


def test_delete_is_a_hard_delete_of_the_chat_its_messages_and_retry_events() -> None:
    chat = make_chat()
    other = make_chat(owner=chat.owner)
    add_message(chat, MessageRole.USER, "hi")
    add_message(other, MessageRole.USER, "stays")
    ChatRetryEvent.objects.create(
        chat=chat, attempt=1, kind="timeout", delay_ms=1, retrying_at=chat.created_at
    )
    assert delete_chat(chat) == ""
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not ChatMessage.objects.filter(chat_id=chat.pk).exists()
    assert not ChatRetryEvent.objects.filter(chat_id=chat.pk).exists()
    assert ChatMessage.objects.filter(chat=other).count() == 1


def test_deleting_a_chat_with_a_running_turn_names_the_runner_to_stop() -> None:
    chat = make_chat()
    owner = f"runner-{uuid.uuid4().hex}"
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.RUNNING, lease_owner=owner)
    assert delete_chat(chat) == owner
    assert not Chat.objects.filter(pk=chat.pk).exists()


def test_a_runner_whose_chat_was_deleted_writes_nothing_more() -> None:
    """The turn's late writes (a retry, the answer) find no chat and store nothing."""
    from chatcore.contract import ChatRetry
    from chatcore.errors import ClassifiedError
    from chatcore.providers import Finish

    chat = make_chat()
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.RUNNING, lease_owner="runner-x")
    delete_chat(chat)
    classified = ClassifiedError(kind="timeout", retryable=True)
    retry = ChatRetry(attempt=1, delay_ms=10, retrying_at=None, error="")
    lifecycle.mark_retrying(
        chat.pk, "runner-x", retry=retry, classified=classified, seq=1, clear_chain=False
    )
    assert (
        lifecycle.finish_ok(
            chat.pk,
            "runner-x",
            text="late",
            finish=Finish(None, None, "stop"),
            seq=2,
            store_response_id=False,
        )
        is None
    )
    assert not ChatRetryEvent.objects.exists() and not ChatMessage.objects.exists()
