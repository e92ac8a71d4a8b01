"""Runner fixtures: the real fake provider over loopback, a real channel layer, real runners."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client import CollectorRegistry

from chatcore.chats import chat_group, create_chat
from chatcore.chats import lifecycle as runner_store
from chatcore.metrics import RetryMetrics
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider, text_parts
from chatcore.retry import RetryPolicy
from chatcore.runner import Runner, TurnSettings
from tests.fakeserver import FakeProviderServer


@pytest.fixture
def layer() -> InMemoryChannelLayer:
    return InMemoryChannelLayer()


def make_provider(fake: FakeProviderServer, *, kind: str = "fake", name: str = "fake") -> Provider:
    base = fake.anthropic_base_url if kind == "fake-anthropic" else fake.openai_base_url
    return Provider.objects.create(
        name=name, kind=kind, base_url=base, models=["echo"], default_model="echo"
    )


def make_chat(provider: Provider, model: str, *, username: str = "alice") -> Chat:
    user, _ = User.objects.get_or_create(username=username)
    return create_chat(owner=user, provider=provider, model=model, title=model)


def queue_turn(chat: Chat, text: str = "Hello there") -> None:
    ChatMessage.objects.create(chat=chat, role=MessageRole.USER, content=text_parts(text))
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.PENDING)


@dataclass
class Counter:
    """Counts the queries of every runner database call except empty claim polls."""

    calls: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.calls)

    async def db(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            with CaptureQueriesContext(connection) as captured:
                result = fn(*args, **kwargs)
            if not (fn is runner_store.claim_next and result is None):
                self.calls.append((fn.__name__, len(captured.captured_queries)))
            return result

        return await sync_to_async(run, thread_sensitive=True)()


def _close_connection() -> None:
    connection.close()  # the calling thread's connection (`connection` is thread-local)


@contextlib.asynccontextmanager
async def running(
    layer: Any,
    *,
    scenario: list[dict[str, Any]] | None = None,
    startup_timeout: float = 5.0,
    lease_seconds: float = 5.0,
    counter: Counter | None = None,
    policy: RetryPolicy | None = None,
) -> AsyncIterator[Runner]:
    headers = {"X-Fake-Scenario": json.dumps(scenario)} if scenario else {}
    kwargs: dict[str, Any] = {"db": counter.db} if counter else {}
    runner = Runner(
        layer,
        settings=TurnSettings(
            policy=policy or RetryPolicy(),
            startup_timeout=startup_timeout,
            lease_seconds=lease_seconds,
            extra_headers=headers,
        ),
        poll_interval=0.1,
        metrics=RetryMetrics(CollectorRegistry()),
        **kwargs,
    )
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.ready.wait(), 5)
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The runner's thread keeps a connection; the test database cannot be
        # dropped while it is open.
        await sync_to_async(_close_connection, thread_sensitive=True)()


class Subscriber:
    """A viewer of one chat's group: what a websocket consumer would receive."""

    def __init__(self, layer: Any, chat_id: int) -> None:
        self.layer = layer
        self.chat_id = chat_id
        self.channel = ""
        self.events: list[dict[str, Any]] = []

    async def __aenter__(self) -> Subscriber:
        self.channel = await self.layer.new_channel("test.")
        await self.layer.group_add(chat_group(self.chat_id), self.channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.layer.group_discard(chat_group(self.chat_id), self.channel)

    async def until(self, *names: str, within: float = 30) -> list[dict[str, Any]]:
        async with asyncio.timeout(within):
            while True:
                message = await self.layer.receive(self.channel)
                self.events.append(message)
                if message["event"] in names:
                    return self.events

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == name]
