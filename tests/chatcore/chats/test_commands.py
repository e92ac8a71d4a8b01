"""The chats service's commands and lifecycle on a real database: retry events, chat errors,
re-queueing, preflight and chat creation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from chatcore.chats import create_chat, lifecycle
from chatcore.chats.commands import clear_error as clear_chat_error
from chatcore.chats.commands import requeue_last_turn
from chatcore.contract import ChatError, ChatRetry
from chatcore.errors import ClassifiedError, ErrorKind, terminal_message
from chatcore.models import Chat, ChatRetryEvent, ChatStatus, MessageRole, Provider
from chatcore.runner.context import preflight
from tests.chatcore.persistence.factories import add_message, make_chat, make_provider, make_user

pytestmark = pytest.mark.django_db

ENV = "CALMCHAT_TEST_PREFLIGHT_API_KEY"


def _overloaded() -> ClassifiedError:
    # Built directly: these tests are about storage, not about the classifier.
    base = ClassifiedError(
        kind=ErrorKind.OVERLOADED,
        provider="anthropic",
        retryable=True,
        status_code=529,
        detail="Overloaded",
    )
    return dataclasses.replace(base, message=terminal_message(base))


def record_retry_event(
    chat: Chat | int, attempt: int, classified: ClassifiedError, delay: float, retrying_at: datetime
) -> ChatRetryEvent:
    """A retry published by the runner holding the chat's lease (``lifecycle.mark_retrying``)."""
    chat_id = chat if isinstance(chat, int) else chat.pk
    Chat.objects.filter(pk=chat_id).update(lease_owner="runner-1", status=ChatStatus.RUNNING)
    now = retrying_at - timedelta(seconds=delay)
    retry = ChatRetry.from_classified(classified, attempt=attempt, delay=delay, now=now)
    lifecycle.mark_retrying(
        chat_id, "runner-1", retry=retry, classified=classified, seq=1, clear_chain=False
    )
    return ChatRetryEvent.objects.filter(chat_id=chat_id).latest("id")


def test_record_retry_event_stores_what_was_published() -> None:
    chat = make_chat()
    classified = dataclasses.replace(_overloaded(), chain_broken=True)
    retrying_at = datetime(2026, 5, 1, 12, 0, 2, 500000, tzinfo=UTC)

    event = record_retry_event(chat, 3, classified, 2.5, retrying_at)

    stored = ChatRetryEvent.objects.values(
        "chat_id",
        "attempt",
        "kind",
        "provider",
        "status_code",
        "delay_ms",
        "chain_broken",
        "retrying_at",
    ).get(pk=event.pk)
    assert stored == {
        "chat_id": chat.pk,
        "attempt": 3,
        "kind": "overloaded",
        # The configured provider's name, not the classifier's vendor id.
        "provider": chat.provider.name,
        "status_code": 529,
        "delay_ms": 2500,
        "chain_broken": True,
        "retrying_at": retrying_at,
    }


def test_record_retry_event_accepts_a_chat_id_and_defaults() -> None:
    chat = make_chat()
    event = record_retry_event(chat.pk, 1, ClassifiedError(), 0.0004, timezone.now())
    event.refresh_from_db()
    assert (event.chat_id, event.kind, event.provider, event.status_code, event.delay_ms) == (
        chat.pk,
        "generic",
        chat.provider.name,  # read from the chat when the runner does not say
        0,
        0,
    )


def test_a_terminal_failure_stores_exactly_the_chat_error() -> None:
    chat = make_chat(status=ChatStatus.RUNNING, lease_owner="runner-1")
    error = ChatError.from_classified(_overloaded())
    assert lifecycle.finish_failed(chat.pk, "runner-1", error=error, seq=3)
    fresh = Chat.objects.get(pk=chat.pk)
    assert fresh.last_error == error.to_json()
    assert fresh.error == error
    assert fresh.status == ChatStatus.FAILED


def test_a_terminal_failure_is_not_stored_by_a_runner_without_the_lease() -> None:
    chat = make_chat(status=ChatStatus.RUNNING, lease_owner="runner-2")
    Chat.objects.filter(pk=chat.pk).update(stop_requested=True, event_seq=41)
    error = ChatError.from_classified(_overloaded())
    assert not lifecycle.finish_failed(chat.pk, "runner-1", error=error, seq=3)
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.stop_requested, fresh.event_seq, fresh.status) == (True, 41, ChatStatus.RUNNING)


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (ChatStatus.FAILED, ChatStatus.IDLE),
        (ChatStatus.IDLE, ChatStatus.IDLE),
        (ChatStatus.RUNNING, ChatStatus.RUNNING),
        (ChatStatus.WAITING_RETRY, ChatStatus.WAITING_RETRY),
    ],
    ids=["failed_becomes_idle", "idle_stays", "running_untouched", "waiting_retry_untouched"],
)
def test_clear_chat_error(status: ChatStatus, after: ChatStatus) -> None:
    chat = make_chat(status=status, last_error={"message": "m", "kind": "auth"})
    clear_chat_error(chat)
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.last_error, fresh.status) == (None, after)
    assert (chat.last_error, chat.status) == (None, after)


@pytest.mark.parametrize(
    ("status", "roles", "queued"),
    [
        pytest.param(ChatStatus.FAILED, [MessageRole.USER], True, id="failed_turn_is_requeued"),
        pytest.param(ChatStatus.IDLE, [MessageRole.USER], True, id="stopped_turn_is_requeued"),
        pytest.param(
            ChatStatus.FAILED,
            [MessageRole.USER, MessageRole.ASSISTANT, MessageRole.USER],
            True,
            id="last_of_several_turns",
        ),
        pytest.param(
            ChatStatus.FAILED,
            [MessageRole.USER, MessageRole.ASSISTANT],
            False,
            id="answered_turn_is_not",
        ),
        pytest.param(ChatStatus.FAILED, [], False, id="no_messages_no_turn"),
        pytest.param(
            ChatStatus.RUNNING, [MessageRole.USER], False, id="running_turn_is_not_doubled"
        ),
        pytest.param(
            ChatStatus.PENDING, [MessageRole.USER], False, id="pending_turn_is_not_doubled"
        ),
        pytest.param(
            ChatStatus.WAITING_RETRY, [MessageRole.USER], False, id="waiting_turn_is_not_doubled"
        ),
    ],
)
def test_requeue_last_turn(status: ChatStatus, roles: list[MessageRole], queued: bool) -> None:
    chat = make_chat(
        status=status,
        last_error={"message": "m", "kind": "timeout"},
        stop_requested=True,
        lease_owner="runner-1",
        lease_expires_at=timezone.now() - timedelta(seconds=5),
        live_state={"phase": "retrying"},
        retry_now_requested_at=timezone.now(),
    )
    for role in roles:
        add_message(chat, role, f"{role} text")

    assert requeue_last_turn(chat) is queued

    fresh = Chat.objects.get(pk=chat.pk)
    if queued:
        assert (fresh.status, fresh.last_error, fresh.stop_requested) == (
            ChatStatus.PENDING,
            None,
            False,
        )
        assert (fresh.lease_owner, fresh.lease_expires_at, fresh.live_state) == ("", None, {})
        assert fresh.retry_now_requested_at is None
        assert chat.status == ChatStatus.PENDING
        assert Chat.objects.claimable(timezone.now()).filter(pk=chat.pk).exists()
    else:
        assert (fresh.status, fresh.last_error) == (status, {"message": "m", "kind": "timeout"})


def _expected(kind: ErrorKind, provider: str) -> ClassifiedError:
    base = ClassifiedError(kind=kind, provider=provider, retryable=False)
    return dataclasses.replace(base, message=terminal_message(base))


@pytest.mark.parametrize(
    ("setup", "started_with_key", "expected_kind"),
    [
        pytest.param("keep", True, None, id="key_still_there"),
        pytest.param("disable", True, ErrorKind.PROVIDER_DISABLED, id="disabled_provider"),
        pytest.param("clear", True, ErrorKind.MISSING_KEY, id="key_deleted"),
        pytest.param("env_unset", True, ErrorKind.MISSING_KEY, id="env_variable_unset"),
        pytest.param("env_set", True, None, id="env_variable_set"),
        pytest.param("rotate", True, None, id="key_replaced_is_not_missing"),
        pytest.param(
            "undecryptable", True, ErrorKind.MISSING_KEY, id="key_unreadable_after_secret_change"
        ),
        pytest.param("clear", False, None, id="chat_started_without_a_key"),
        pytest.param(
            "disable_and_clear",
            True,
            ErrorKind.PROVIDER_DISABLED,
            id="disabled_wins_over_missing_key",
        ),
    ],
)
def test_preflight(
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    started_with_key: bool,
    expected_kind: ErrorKind | None,
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    provider = make_provider(key="sk-original" if started_with_key else None)
    chat = create_chat(owner=make_user(), provider=provider)
    assert (chat.api_key_ref is not None) is started_with_key

    # Change the provider behind the chat's back: preflight must read it fresh.
    stored = Provider.objects.get(pk=provider.pk)
    if setup in {"disable", "disable_and_clear"}:
        stored.enabled = False
    if setup in {"clear", "disable_and_clear"}:
        stored.clear_api_key()
    if setup == "rotate":
        stored.set_api_key("sk-rotated")
    if setup in {"env_unset", "env_set"}:
        stored.set_api_key_env(ENV)
    if setup == "env_set":
        monkeypatch.setenv(ENV, "sk-env")
    if setup == "undecryptable":
        with override_settings(SECRET_KEY="z" * 50):
            stored.set_api_key("sk-under-another-secret")
    stored.save()

    expected = None if expected_kind is None else _expected(expected_kind, "anthropic")
    assert preflight(chat) == expected


def test_preflight_errors_carry_their_terminal_messages() -> None:
    provider = make_provider(key="sk-x")
    chat = create_chat(owner=make_user(), provider=provider)
    Provider.objects.filter(pk=provider.pk).update(enabled=False)
    disabled = preflight(chat)
    assert disabled is not None
    assert ChatError.from_classified(disabled).to_json() == {
        "message": "Anthropic has been disabled. Contact an administrator.",
        "kind": "provider_disabled",
        "retryable": False,
        "provider": "anthropic",
    }
    Provider.objects.filter(pk=provider.pk).update(enabled=True, api_key_encrypted="", key_id=None)
    missing = preflight(chat)
    assert missing is not None and missing.kind == ErrorKind.MISSING_KEY
    assert missing.message == terminal_message(ClassifiedError(kind=ErrorKind.MISSING_KEY))


def test_create_chat_records_the_key_and_default_model() -> None:
    provider = make_provider(key="sk-x", default_model="model-b")
    owner = make_user()
    chat = create_chat(owner=owner, provider=provider, title="Hello")
    fresh = Chat.objects.get(pk=chat.pk)
    assert (fresh.owner, fresh.provider, fresh.model, fresh.title) == (
        owner,
        provider,
        "model-b",
        "Hello",
    )
    assert fresh.api_key_ref == provider.key_id is not None
    assert (fresh.status, fresh.last_error, fresh.event_seq, fresh.live_state) == (
        ChatStatus.IDLE,
        None,
        0,
        {},
    )
    assert create_chat(owner=owner, provider=provider, model="model-a").model == "model-a"
