"""Model fallback end to end: the real fake provider over loopback, the runner, the database.

``demo-fallback`` is overloaded on every attempt; ``demo-context`` always refuses the
conversation as too long; ``echo`` answers with the user's message.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chatcore.models import (
    Chat,
    ChatMessage,
    ChatRetryEvent,
    ChatStatus,
    MessageRole,
    ModelFallback,
)
from chatcore.retry import RetryPolicy
from tests.chatcore.runner.conftest import Subscriber, make_chat, make_provider, queue_turn, running
from tests.fakeserver import FakeProviderServer

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async
QUICK = RetryPolicy(initial_delay=0.05, max_delay=0.1, max_attempts=4)


def _setup(fake: FakeProviderServer, model: str, *, allow: bool = True, **rule: Any) -> Chat:
    provider = make_provider(fake)
    ModelFallback.objects.create(provider=provider, model=model, to_model="echo", **rule)
    chat = make_chat(provider, model)
    if not allow:
        Chat.objects.filter(pk=chat.pk).update(allow_fallback=False)
    return chat


def _answers(chat_id: int) -> list[tuple[str, str]]:
    rows = ChatMessage.objects.filter(chat_id=chat_id, role=MessageRole.ASSISTANT)
    return [(m.text, m.model) for m in rows]


def _events(chat_id: int) -> list[tuple[int, str, str, str, str]]:
    rows = ChatRetryEvent.objects.filter(chat_id=chat_id)
    return [(e.attempt, e.kind, e.model, e.to_model, e.reason) for e in rows]


def _models_sent(fake: FakeProviderServer) -> list[str]:
    return [r["model"] for r in fake.requests() if r["path"].endswith("/chat/completions")]


async def test_an_always_overloaded_model_falls_back_after_k_attempts(fresh_fake, layer) -> None:
    chat = await db(_setup)(fresh_fake, "demo-fallback", after_attempts=2)
    async with Subscriber(layer, chat.pk) as viewer, running(layer, policy=QUICK) as runner:
        await db(queue_turn)(chat, "Hello there")
        events = await viewer.until("done", "error")

    assert events[-1]["event"] == "done"
    assert _models_sent(fresh_fake) == ["demo-fallback", "demo-fallback", "echo"]
    first, switch = (event["data"] for event in viewer.named("retry"))
    assert "to_model" not in first and first["kind"] == "overloaded"
    assert {key: switch[key] for key in ("from_model", "to_model", "reason", "kind")} == {
        "from_model": "demo-fallback",
        "to_model": "echo",
        "reason": "overloaded",
        "kind": "overloaded",
    }
    assert switch["error"] == "Switched to echo: the AI provider's demo-fallback is overloaded."
    assert "provider" not in switch, "the fake provider stays unnamed"
    # The rollback boundary: only text after the switch is the answer, stored once.
    after = events[events.index(viewer.named("retry")[-1]) + 1 :]
    streamed = "".join(e["data"]["text"] for e in after if e["event"] == "delta")
    assert streamed == "Hello there"
    assert await db(_answers)(chat.pk) == [("Hello there", "echo")]
    assert await db(_events)(chat.pk) == [
        (1, "overloaded", "demo-fallback", "", ""),
        (2, "overloaded", "demo-fallback", "echo", "overloaded"),
    ]
    labels = {"provider": "fake", "from_model": "demo-fallback", "to_model": "echo"}
    registry = runner.metrics.registry
    assert (
        registry.get_sample_value("chatd_fallbacks_total", {**labels, "reason": "overloaded"}) == 1
    )
    done = {"provider": "fake", "model": "echo", "outcome": "done"}
    assert registry.get_sample_value("chatd_turns_total", done) == 1, "the outcome is echo's"
    refreshed = await db(Chat.objects.get)(pk=chat.pk)
    assert (refreshed.status, refreshed.model) == (ChatStatus.IDLE, "demo-fallback")


async def test_a_chat_that_allows_no_fallback_keeps_retrying_its_model(fresh_fake, layer) -> None:
    chat = await db(_setup)(fresh_fake, "demo-fallback", allow=False, after_attempts=1)
    async with Subscriber(layer, chat.pk) as viewer, running(layer, policy=QUICK):
        await db(queue_turn)(chat)
        events = await viewer.until("done", "error")

    assert events[-1]["event"] == "error" and events[-1]["data"]["kind"] == "overloaded"
    assert _models_sent(fresh_fake) == ["demo-fallback"] * QUICK.max_attempts
    assert all("to_model" not in e["data"] for e in viewer.named("retry"))
    assert await db(_answers)(chat.pk) == []
    assert {row[3] for row in await db(_events)(chat.pk)} == {""}


async def test_a_context_length_error_falls_back_at_once(fresh_fake, layer) -> None:
    chat = await db(_setup)(fresh_fake, "demo-context", on_overloaded=False, on_context_length=True)
    async with Subscriber(layer, chat.pk) as viewer, running(layer, policy=QUICK):
        await db(queue_turn)(chat, "A long story")
        events = await viewer.until("done", "error")

    assert events[-1]["event"] == "done"
    assert _models_sent(fresh_fake) == ["demo-context", "echo"]
    (retry,) = viewer.named("retry")
    assert (retry["data"]["kind"], retry["data"]["reason"], retry["data"]["to_model"]) == (
        "context_length",
        "context_length",
        "echo",
    )
    assert retry["data"]["error"] == (
        "Switched to echo: this conversation is too long for the AI provider's demo-context."
    )
    assert await db(_answers)(chat.pk) == [("A long story", "echo")]


async def test_without_a_context_length_rule_the_error_stays_terminal(fresh_fake, layer) -> None:
    chat = await db(_setup)(fresh_fake, "demo-context", after_attempts=1)
    async with Subscriber(layer, chat.pk) as viewer, running(layer, policy=QUICK):
        await db(queue_turn)(chat)
        events = await viewer.until("done", "error")

    assert events[-1]["event"] == "error"
    assert events[-1]["data"]["kind"] == "context_length"
    assert viewer.named("retry") == []
    assert _models_sent(fresh_fake) == ["demo-context"]


async def test_a_fallback_leaves_a_responses_chain_and_sends_the_full_history(
    fresh_fake, layer
) -> None:
    provider = await db(make_provider)(fresh_fake, kind="openai-responses")
    chat = await db(make_chat)(provider, "echo")
    await db(ModelFallback.objects.create)(
        provider=provider, model="demo-fallback", to_model="echo", after_attempts=1
    )
    async with running(layer, policy=QUICK):
        async with Subscriber(layer, chat.pk) as viewer:
            await db(queue_turn)(chat, "First question")
            assert (await viewer.until("done", "error"))[-1]["event"] == "done"
        anchor = (await db(Chat.objects.get)(pk=chat.pk)).previous_response_id
        assert anchor.startswith("resp_")
        # The chat's model is now one that is overloaded, its chain kept.
        await db(Chat.objects.filter(pk=chat.pk).update)(model="demo-fallback")
        async with Subscriber(layer, chat.pk) as viewer:
            await db(queue_turn)(chat, "Second question")
            assert (await viewer.until("done", "error"))[-1]["event"] == "done"

    sent = [r for r in fresh_fake.requests() if r["path"].endswith("/responses")][1:]
    assert [r["model"] for r in sent] == ["demo-fallback", "echo"]
    chained, switched = (r["body"] for r in sent)
    assert chained["previous_response_id"] == anchor
    assert not switched.get("previous_response_id"), "the chain belongs to demo-fallback"
    assert [item["role"] for item in switched["input"]] == ["user", "assistant", "user"]
    assert await db(_answers)(chat.pk) == [
        ("First question", "echo"),
        ("Second question", "echo"),
    ]
