"""Provider health across chats, end to end: the real fake provider down for everyone,
real runners, the real channel layer and database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from prometheus_client import CollectorRegistry

from chatcore.chats import chat_group, messaging
from chatcore.health import HEALTH_CHANGED, HEALTH_GROUP, HealthConfig
from chatcore.metrics import RetryMetrics
from chatcore.models import (
    ChatMessage,
    ChatRetryEvent,
    MessageRole,
    ModelFallback,
    ProviderHealth,
)
from chatcore.retry import RetryPolicy
from chatcore.runner import Runner, TurnSettings
from tests.chatcore.runner.conftest import _close_connection, make_chat, make_provider, queue_turn
from tests.fakeserver import FakeProviderServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = sync_to_async

HEALTH = HealthConfig(
    breaker_failures=3,
    breaker_window=30.0,
    cooloff=1.5,
    max_cooloff=6.0,
    probe_ttl=10.0,
    resume_spread=0.3,
    default_cooldown=0.5,
)


@contextlib.asynccontextmanager
async def runner(
    layer: Any, health: HealthConfig | None, *, scenario: list[dict[str, Any]] | None = None
) -> AsyncIterator[Runner]:
    headers = {"X-Fake-Scenario": json.dumps(scenario)} if scenario else {}
    run = Runner(
        layer,
        settings=TurnSettings(
            policy=RetryPolicy(), startup_timeout=5.0, lease_seconds=5.0, extra_headers=headers
        ),
        poll_interval=0.1,
        metrics=RetryMetrics(CollectorRegistry()),
        health=health,
    )
    task = asyncio.create_task(run.run())
    await asyncio.wait_for(run.ready.wait(), 5)
    try:
        yield run
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sync_to_async(_close_connection, thread_sensitive=True)()


class Watcher:
    """Every event of some chats and the health group, stamped with the time it arrived."""

    def __init__(self, layer: Any, chat_ids: list[int]) -> None:
        self.layer, self.chat_ids = layer, chat_ids
        self.events: list[tuple[float, dict[str, Any]]] = []

    async def __aenter__(self) -> Watcher:
        self.channel = await self.layer.new_channel("test.")
        for chat_id in self.chat_ids:
            await self.layer.group_add(chat_group(chat_id), self.channel)
        await self.layer.group_add(HEALTH_GROUP, self.channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for chat_id in self.chat_ids:
            await self.layer.group_discard(chat_group(chat_id), self.channel)
        await self.layer.group_discard(HEALTH_GROUP, self.channel)

    async def until_all_done(
        self, within: float, on_message: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    ) -> None:
        finished: set[int] = set()
        async with asyncio.timeout(within):
            while finished != set(self.chat_ids):
                message = await self.layer.receive(self.channel)
                self.events.append((time.time(), message))
                if on_message is not None:
                    await on_message(message)
                if message.get("event") in ("done", "error"):
                    finished.add(message["chat"])

    def of(self, chat_id: int) -> list[tuple[float, dict[str, Any]]]:
        return [(t, m) for t, m in self.events if m.get("chat") == chat_id]


def _at(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _answers(chat_id: int) -> list[str]:
    return [m.text for m in ChatMessage.objects.filter(chat_id=chat_id, role=MessageRole.ASSISTANT)]


async def test_three_chats_wait_on_one_shared_deadline_and_all_answer_once(layer) -> None:
    async with FakeProviderServer() as fake:
        provider = await db(make_provider)(fake)
        chats = [await db(make_chat)(provider, "outage-3s", username=f"u{i}") for i in range(3)]
        ids = [chat.pk for chat in chats]
        async with Watcher(layer, ids) as watcher, runner(layer, HEALTH) as run:

            async def press_retry_now(message: dict[str, Any]) -> None:
                # "Retry now" on every shared wait: it may not skip the shared deadline.
                if message.get("event") == "retry" and message["data"].get("shared"):
                    await messaging.tell_runner(
                        layer, run.channel, messaging.RETRY_NOW, message["chat"]
                    )

            for chat in chats:
                await db(queue_turn)(chat)
            await watcher.until_all_done(within=30, on_message=press_retry_now)
        requests = fake.requests()

    failed = [r for r in requests if r["outcome"]["kind"] == "overloaded"]
    answered = [r for r in requests if r["outcome"]["kind"] == "ok"]
    # Three first attempts open the breaker; one probe fails while the provider is still
    # down; the next probe and the two waiting chats answer.
    assert (len(failed), len(answered)) == (4, 3), [r["outcome"] for r in requests]
    deadlines = []
    for chat_id in ids:
        events = watcher.of(chat_id)
        assert [m["event"] for _, m in events][-1] == "done"
        assert await db(_answers)(chat_id) != [] and len(await db(_answers)(chat_id)) == 1
        shared = [(t, m) for t, m in events if m["event"] == "retry" and m["data"].get("shared")]
        assert shared, f"chat {chat_id} showed no shared wait"
        deadlines.append({m["data"]["retrying_at"] for _, m in shared})
        # No attempt starts before the shared deadline it was shown.
        for index, (_, retry) in enumerate(events):
            if retry["event"] != "retry" or not retry["data"].get("shared"):
                continue
            start = next(
                (
                    t
                    for t, m in events[index + 1 :]
                    if m["data"].get("phase") == "starting" and m["event"] == "status"
                ),
                None,
            )
            deadline = _at(retry["data"]["retrying_at"])
            assert start is None or start >= deadline - 0.01, (start, deadline)
            assert _at(retry["data"]["not_before"]) == deadline
    common = set.intersection(*deadlines)
    assert common, f"no deadline shown in every chat: {deadlines}"
    stored = await db(list)(ChatRetryEvent.objects.filter(chat_id__in=ids, shared=True))
    assert {event.chat_id for event in stored} == set(ids)
    row = await db(ProviderHealth.objects.get)(provider=provider, model="outage-3s")
    assert (row.state, row.consecutive_failures) == ("ok", 0)
    states = [m["health"]["state"] for _, m in watcher.events if m.get("type") == HEALTH_CHANGED]
    assert "open" in states and states[-1] == "ok", states


async def test_without_shared_health_each_chat_hammers_the_provider(layer) -> None:
    """The same outage with health off: every chat retries on its own schedule."""
    async with FakeProviderServer() as fake:
        provider = await db(make_provider)(fake)
        chats = [await db(make_chat)(provider, "outage-3s", username=f"u{i}") for i in range(3)]
        async with Watcher(layer, [c.pk for c in chats]) as watcher, runner(layer, None):
            for chat in chats:
                await db(queue_turn)(chat)
            await watcher.until_all_done(within=30)
        requests = fake.requests()
    failed = [r for r in requests if r["outcome"]["kind"] == "overloaded"]
    # Backoff 1 s, then 2 s: attempts at 0, 1 and 3 s fail in each chat (the health
    # test above sends 4 failing requests in all).
    assert len(failed) >= 6
    assert not await db(ChatRetryEvent.objects.filter(shared=True).exists)()


async def test_a_retry_refused_by_the_budget_waits_then_answers(layer) -> None:
    health = HealthConfig(budget_floor=1, budget_ratio=0.0, budget_window=3.0, resume_spread=0.1)
    script = [{"kind": "server_error"}, {"kind": "ok"}]
    async with FakeProviderServer() as fake:
        provider = await db(make_provider)(fake)
        chats = [await db(make_chat)(provider, "m", username=f"u{i}") for i in range(2)]
        ids = [chat.pk for chat in chats]
        async with (
            Watcher(layer, ids) as watcher,
            runner(layer, health, scenario=script) as run,
        ):
            for chat in chats:
                await db(queue_turn)(chat)
            await watcher.until_all_done(within=30)
        requests = fake.requests()

    assert [r["outcome"]["kind"] for r in requests].count("ok") == 2
    for chat_id in ids:
        assert [m["event"] for _, m in watcher.of(chat_id)][-1] == "done"
        assert len(await db(_answers)(chat_id)) == 1
    # One retry fits the budget (its floor); the other waited for the next window.
    registry = run.metrics.registry
    assert registry.get_sample_value("chatd_retry_budget_denied_total", {"provider": "fake"}) == 1
    state = {"provider": "fake", "model": "m"}
    assert registry.get_sample_value("chatd_provider_breaker_state", state) == 0
    waited = [
        m
        for chat_id in ids
        for _, m in watcher.of(chat_id)
        if m["event"] == "retry" and m["data"].get("shared")
    ]
    assert len(waited) == 1 and waited[0]["data"]["kind"] == "generic"


async def test_an_open_breaker_with_a_fallback_switches_model_before_calling(layer) -> None:
    """A model whose breaker is open (another chat's failures opened it) and that has a
    fallback: the turn switches at once, without a call to the broken model or a wait."""
    async with FakeProviderServer() as fake:
        provider = await db(make_provider)(fake)
        await db(ModelFallback.objects.create)(
            provider=provider, model="demo-fallback", to_model="echo", after_attempts=3
        )
        opened = timezone.now()
        await db(ProviderHealth.objects.create)(
            provider=provider,
            model="demo-fallback",
            state="open",
            open_until=opened + timedelta(seconds=60),
            opened_count=1,
            consecutive_failures=3,
            last_kind="overloaded",
        )
        chat = await db(make_chat)(provider, "demo-fallback")
        async with Watcher(layer, [chat.pk]) as watcher, runner(layer, HEALTH):
            await db(queue_turn)(chat, "Hello there")
            await watcher.until_all_done(within=20)
        requests = fake.requests()

    assert [r["model"] for r in requests] == ["echo"], "the broken model is never called"
    events = [m for _, m in watcher.of(chat.pk)]
    retries = [m["data"] for m in events if m["event"] == "retry"]
    assert len(retries) == 1
    assert {k: retries[0][k] for k in ("from_model", "to_model", "reason")} == {
        "from_model": "demo-fallback",
        "to_model": "echo",
        "reason": "breaker_open",
    }
    assert events[-1]["event"] == "done"
    stored = await db(list)(ChatMessage.objects.filter(chat_id=chat.pk, role=MessageRole.ASSISTANT))
    assert [(m.text, m.model) for m in stored] == [("Hello there", "echo")]
    event = await db(ChatRetryEvent.objects.get)(chat_id=chat.pk)
    assert (event.model, event.to_model, event.reason) == ("demo-fallback", "echo", "breaker_open")
