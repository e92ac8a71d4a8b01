"""A turn with the chat's settings, end to end (fake provider over loopback, real runner):
the system prompt leads the history, a switched model runs the next turn and is recorded
on the answer and the retry events, and the owner's pages hear one status per phase
change, never one per delta."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chatcore.chats import user_group
from chatcore.chats.manage import update_settings
from chatcore.models import Chat, ChatMessage, ChatRetryEvent, MessageRole
from tests.chatcore.runner.conftest import (
    Subscriber,
    make_chat,
    make_provider,
    queue_turn,
    running,
)

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


def _chat_requests(fake: Any) -> list[dict[str, Any]]:
    return [r for r in fake.requests() if r["path"].endswith("/chat/completions")]


async def test_the_system_prompt_leads_the_history_the_provider_gets(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "echo")
    await db(update_settings)(chat, system_prompt="Answer in French.")
    async with running(layer), Subscriber(layer, chat.pk) as viewer:
        await db(queue_turn)(chat, "Hello")
        assert (await viewer.until("done", "error"))[-1]["event"] == "done"
    (request,) = await asyncio.to_thread(_chat_requests, fresh_fake)
    assert request["body"]["messages"] == [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Hello"},
    ]


async def test_anthropic_gets_the_system_prompt_as_its_system_field(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake, kind="fake-anthropic")
    chat = await db(make_chat)(provider, "echo")
    await db(update_settings)(chat, system_prompt="Be brief.")
    async with running(layer), Subscriber(layer, chat.pk) as viewer:
        await db(queue_turn)(chat, "Hello")
        assert (await viewer.until("done", "error"))[-1]["event"] == "done"
    (request,) = [
        r for r in await asyncio.to_thread(fresh_fake.requests) if "messages" in r["path"]
    ]
    assert request["body"]["system"] == "Be brief."
    assert [m["role"] for m in request["body"]["messages"]] == ["user"]


async def test_a_switched_model_runs_the_next_turn_and_is_recorded(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake)
    await db(type(provider).objects.filter(pk=provider.pk).update)(models=["echo", "demo-flaky"])
    chat = await db(make_chat)(provider, "echo")
    async with running(layer), Subscriber(layer, chat.pk) as viewer:
        await db(queue_turn)(chat, "first")
        assert (await viewer.until("done", "error"))[-1]["event"] == "done"
        fresh = await db(Chat.objects.select_related("provider").get)(pk=chat.pk)
        await db(update_settings)(fresh, model="demo-flaky")
        await db(queue_turn)(chat, "second")
        viewer.events.clear()
        assert (await viewer.until("done", "error"))[-1]["event"] == "done"
    models = [r["body"]["model"] for r in await asyncio.to_thread(_chat_requests, fresh_fake)]
    assert models[0] == "echo" and set(models[1:]) == {"demo-flaky"} and len(models) >= 3
    answers = await db(list)(
        ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT).values_list(
            "model", flat=True
        )
    )
    assert answers == ["echo", "demo-flaky"]
    (retry,) = await db(list)(ChatRetryEvent.objects.filter(chat=chat).values_list("model", "kind"))
    assert retry == ("demo-flaky", "rate_limit")


async def test_the_owner_hears_each_phase_change_once_and_no_delta(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "demo-flaky")
    sidebar = await layer.new_channel("test.")
    await layer.group_add(user_group(chat.owner_id), sidebar)
    stranger = await layer.new_channel("test.")
    await layer.group_add(user_group(chat.owner_id + 1000), stranger)
    async with running(layer), Subscriber(layer, chat.pk) as viewer:
        await db(queue_turn)(chat, "a long enough answer please")
        events = await viewer.until("done", "error")
    phases = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(sidebar), 0.5)
        except TimeoutError:
            break
        assert message["type"] == "chat.status" and message["chat"] == chat.pk
        phases.append(message["status"]["phase"])
    deltas = sum(1 for event in events if event["event"] == "delta")
    assert deltas > 0
    # retry (attempt 1 was rate limited), then attempt 2: starting, streaming, done.
    assert phases == ["starting", "retrying", "starting", "streaming", "idle"]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(stranger), 0.2)


async def test_a_retrying_status_carries_the_countdown_of_the_retry(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "demo-flaky")
    sidebar = await layer.new_channel("test.")
    await layer.group_add(user_group(chat.owner_id), sidebar)
    async with running(layer), Subscriber(layer, chat.pk) as viewer:
        await db(queue_turn)(chat)
        await viewer.until("retry")
        (retry_event,) = viewer.named("retry")
        while True:
            message = await asyncio.wait_for(layer.receive(sidebar), 5)
            if message["status"]["phase"] == "retrying":
                break
    status = message["status"]
    assert status["kind"] == "rate_limit"
    assert status["retry"]["retrying_at"] == retry_event["data"]["retrying_at"]
