"""OpenAI Responses chain recovery, and Stop during a long Retry-After wait."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from chatcore.chats.commands import request_stop
from chatcore.chats.messaging import STOP
from chatcore.models import Chat, ChatMessage, ChatRetryEvent, ChatStatus, MessageRole, text_parts
from tests.chatcore.runner.conftest import Subscriber, make_chat, make_provider, queue_turn, running

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


def _responses_requests(fake) -> list[dict]:  # type: ignore[no-untyped-def]
    return [r for r in fake.requests() if r["path"].endswith("/responses")]


async def test_broken_chain_is_cleared_and_the_turn_retried_with_full_history(
    fresh_fake, layer
) -> None:
    provider = await db(make_provider)(fresh_fake, kind="openai-responses")
    chat = await db(make_chat)(provider, "plain-model")
    assert chat.chain_mode

    async with running(layer) as runner:
        async with Subscriber(layer, chat.pk) as viewer:
            await db(queue_turn)(chat, "First question")
            assert (await viewer.until("done", "error"))[-1]["event"] == "done"
        first = await db(Chat.objects.get)(pk=chat.pk)
        assert first.previous_response_id.startswith("resp_")

        # The provider forgets the stored response: the anchor is now poisoned.
        await asyncio.to_thread(fresh_fake.reset)
        async with Subscriber(layer, chat.pk) as viewer:
            await db(queue_turn)(chat, "Second question")
            events = await viewer.until("done", "error")

    assert events[-1]["event"] == "done"
    (retry,) = viewer.named("retry")
    assert retry["data"]["kind"] == "generic"
    chained, rebuilt = _responses_requests(fresh_fake)
    assert chained["body"]["previous_response_id"] == first.previous_response_id
    assert chained["body"]["input"] == [{"role": "user", "content": "Second question"}]
    assert not rebuilt["body"].get("previous_response_id")
    roles = [item["role"] for item in rebuilt["body"]["input"]]
    assert roles == ["user", "assistant", "user"], "the full history"
    (event,) = await db(list)(ChatRetryEvent.objects.filter(chat=chat))
    assert event.chain_broken is True
    value = runner.metrics.registry.get_sample_value(
        "chatd_stream_retries_total",
        {
            "provider": provider.name,
            "model": "plain-model",
            "kind": "generic",
            "chain_broken": "true",
        },
    )
    assert value == 1
    final = await db(Chat.objects.get)(pk=chat.pk)
    assert final.previous_response_id.startswith("resp_")
    assert final.previous_response_id != first.previous_response_id


async def test_stop_during_a_30_second_retry_wait_ends_within_a_second(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "scripted")
    script = [{"kind": "rate_limit", "retry_after": 30}, {"kind": "ok"}]
    async with Subscriber(layer, chat.pk) as viewer, running(layer, scenario=script):
        await db(queue_turn)(chat)
        await viewer.until("retry")
        started = time.monotonic()
        owner = await db(request_stop)(chat)
        assert owner
        await layer.send(owner, {"type": STOP, "chat": chat.pk})
        await _until_stopped(viewer, chat)
        elapsed = time.monotonic() - started

    assert elapsed < 1.0
    await _assert_stopped_cleanly(chat)


async def _until_stopped(viewer: Subscriber, chat: Chat) -> None:
    """The `idle` status event, then the chat's row back to idle."""
    events = await viewer.until("status", within=5)
    while events[-1]["data"].get("phase") != "idle":
        events = await viewer.until("status", within=5)
    for _ in range(100):
        if (await db(Chat.objects.get)(pk=chat.pk)).status == ChatStatus.IDLE:
            return
        await asyncio.sleep(0.02)


async def _assert_stopped_cleanly(chat: Chat) -> None:
    stopped = await db(Chat.objects.get)(pk=chat.pk)
    assert stopped.status == ChatStatus.IDLE and stopped.lease_owner == ""
    assert stopped.last_error is None
    assistant = await db(ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT).count)()
    assert assistant == 0


async def test_stop_before_any_runner_claims_dequeues_the_turn(fresh_fake, layer) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "echo")
    await db(ChatMessage.objects.create)(chat=chat, role=MessageRole.USER, content=text_parts("hi"))
    await db(Chat.objects.filter(pk=chat.pk).update)(status=ChatStatus.PENDING)
    assert await db(request_stop)(chat) == ""
    assert (await db(Chat.objects.get)(pk=chat.pk)).status == ChatStatus.IDLE


async def test_a_stop_whose_message_was_lost_is_seen_at_the_next_lease_renewal(
    fresh_fake, layer
) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "scripted")
    script = [{"kind": "rate_limit", "retry_after": 30}, {"kind": "ok"}]
    # Renewals every 0.3 s; the chatd.stop message is never sent (a dropped event).
    async with (
        Subscriber(layer, chat.pk) as viewer,
        running(layer, scenario=script, lease_seconds=0.9),
    ):
        await db(queue_turn)(chat)
        await viewer.until("retry")
        assert await db(request_stop)(chat)
        await _until_stopped(viewer, chat)

    await _assert_stopped_cleanly(chat)
