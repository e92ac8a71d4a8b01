"""What a model fallback leaves in the database: the retry event, the answer's model, the
transcript's ``fallback_from``, and the one query that loads a turn's fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatcore.chats import lifecycle
from chatcore.chats.transcript import transcript
from chatcore.contract import ChatRetry
from chatcore.errors import ClassifiedError
from chatcore.health import FallbackRule
from chatcore.models import Chat, ChatRetryEvent, ChatStatus, MessageRole, ModelFallback
from chatcore.providers import Finish
from chatcore.runner.context import load_turn
from tests.chatcore.persistence.factories import add_message, make_chat, make_provider

pytestmark = pytest.mark.django_db

RUNNER = "runner-1"


def _turn(chat: Chat, question: str, *, answered_by: str, switch: bool, ask: bool = True) -> None:
    """One turn on ``chat.model``; ``ask=False`` answers the last question again (regenerate)."""
    if ask:
        add_message(chat, MessageRole.USER, question)
    Chat.objects.filter(pk=chat.pk).update(lease_owner=RUNNER, status=ChatStatus.RUNNING)
    if switch:
        retry = ChatRetry(
            attempt=2,
            delay_ms=1000,
            retrying_at=datetime.now(UTC),
            error="",
            kind="overloaded",
            from_model=chat.model,
            to_model=answered_by,
            reason="overloaded",
        )
        lifecycle.mark_retrying(
            chat.pk,
            RUNNER,
            retry=retry,
            classified=ClassifiedError(kind="overloaded"),
            seq=1,
            clear_chain=False,
            model=chat.model,
        )
    lifecycle.finish_ok(
        chat.pk,
        RUNNER,
        text=f"answer to {question}",
        finish=Finish(response_id=None, usage=None, finish_reason="stop"),
        seq=2,
        store_response_id=False,
        model=answered_by,
    )


def test_the_retry_event_and_the_transcript_record_the_switch() -> None:
    chat = make_chat(model="model-a")
    _turn(chat, "one", answered_by="model-a", switch=False)
    _turn(chat, "two", answered_by="model-b", switch=True)
    _turn(chat, "three", answered_by="model-a", switch=False)

    event = ChatRetryEvent.objects.get(chat=chat)
    assert (event.model, event.to_model, event.reason, event.kind) == (
        "model-a",
        "model-b",
        "overloaded",
        "overloaded",
    )
    answers = [row for row in transcript(chat.pk) if row["role"] == "assistant"]
    assert [(row["model"], row.get("fallback_from")) for row in answers] == [
        ("model-a", None),
        ("model-b", "model-a"),
        ("model-a", None),
    ]


def test_a_regenerated_answer_is_judged_by_its_own_turn() -> None:
    chat = make_chat(model="model-a")
    _turn(chat, "one", answered_by="model-b", switch=True)
    # The user switches the chat to model-b and regenerates: no fallback this time.
    Chat.objects.filter(pk=chat.pk).update(model="model-b")
    chat.refresh_from_db()
    _turn(chat, "one", answered_by="model-b", switch=False, ask=False)

    answers = [row for row in transcript(chat.pk) if row["role"] == "assistant"]
    assert [(row["model"], row.get("fallback_from")) for row in answers] == [("model-b", None)]
    assert answers[0]["versions"]["count"] == 2


def test_marking_fallbacks_costs_the_same_queries_for_a_long_chat() -> None:
    counts = []
    for turns in (1, 6):
        chat = make_chat(model="model-a")
        for number in range(turns):
            _turn(chat, f"q{number}", answered_by="model-b", switch=True)
        with CaptureQueriesContext(connection) as queries:
            rows = transcript(chat.pk)
        assert sum(1 for row in rows if row.get("fallback_from") == "model-a") == turns
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_a_turn_loads_its_providers_fallbacks_in_one_query() -> None:
    provider = make_provider(models=["a", "b", "c"], default_model="a")
    for model, to_model in (("a", "b"), ("a", "c"), ("b", "c")):
        ModelFallback.objects.create(provider=provider, model=model, to_model=to_model)
    chat = make_chat(provider=provider)
    refusing = make_chat(provider=provider, allow_fallback=False)

    with CaptureQueriesContext(connection) as allowed:
        ctx = load_turn(chat.pk)
    with CaptureQueriesContext(connection) as refused:
        assert load_turn(refusing.pk).fallbacks == ()
    assert len(allowed.captured_queries) == len(refused.captured_queries) + 1
    assert ctx.fallbacks == (
        FallbackRule(model="a", to_model="b"),
        FallbackRule(model="a", to_model="c"),
        FallbackRule(model="b", to_model="c"),
    )
