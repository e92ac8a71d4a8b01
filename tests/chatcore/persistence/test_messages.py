"""Chat messages: text parts, transcript order and idempotent sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from chatcore.models import ChatMessage, MessageRole, text_parts
from tests.chatcore.persistence.factories import add_message, make_chat


@pytest.mark.parametrize(
    ("content", "text"),
    [
        pytest.param(text_parts("hello"), "hello", id="one_text_part"),
        pytest.param(
            [
                {"type": "text", "text": "a"},
                {"type": "image", "url": "x"},
                {"type": "text", "text": "b"},
            ],
            "ab",
            id="other_parts_skipped",
        ),
        pytest.param(
            [{"type": "text"}, "junk", {"type": "text", "text": 3}],
            "",
            id="malformed_parts_skipped",
        ),
        pytest.param([], "", id="empty"),
        pytest.param("legacy plain string", "legacy plain string", id="plain_string_content"),
        pytest.param({"type": "text"}, "", id="object_content"),
    ],
)
def test_text(content: Any, text: str) -> None:
    assert ChatMessage(content=content).text == text


@pytest.mark.django_db
def test_transcript_is_ordered_by_creation_then_id() -> None:
    chat = make_chat()
    first = add_message(chat, MessageRole.USER, "one")
    second = add_message(chat, MessageRole.ASSISTANT, "two")
    third = add_message(chat, MessageRole.USER, "three")
    ChatMessage.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(
        created_at=first.created_at
    )
    assert list(chat.messages.all()) == [first, second, third]


@pytest.mark.django_db
def test_client_request_id_is_unique_per_chat() -> None:
    chat, other = make_chat(), make_chat()
    add_message(chat, MessageRole.USER, "hi", client_request_id="req-1")
    add_message(other, MessageRole.USER, "hi", client_request_id="req-1")
    add_message(chat, MessageRole.USER, "no id")
    add_message(chat, MessageRole.USER, "no id either")
    with pytest.raises(IntegrityError), transaction.atomic():
        add_message(chat, MessageRole.USER, "again", client_request_id="req-1")
    assert chat.messages.count() == 3


@pytest.mark.django_db
def test_usage_and_response_id_round_trip() -> None:
    chat = make_chat()
    message = add_message(
        chat,
        MessageRole.ASSISTANT,
        "answer",
        provider_response_id="resp_1",
        input_tokens=12,
        output_tokens=34,
    )
    message.refresh_from_db()
    assert (
        message.provider_response_id,
        message.input_tokens,
        message.output_tokens,
        message.text,
    ) == (
        "resp_1",
        12,
        34,
        "answer",
    )
