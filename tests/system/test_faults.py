"""Faults a runner survives: the provider dies mid-stream, the database drops its connection."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import psycopg
import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer
from django.db import connection

from chatcore.models import Chat, ChatMessage, ChatRetryEvent, ChatStatus, MessageRole
from chatcore.retry import RetryPolicy
from chatcore.runner.worker import _db as runner_db
from tests.chatcore.runner.conftest import Subscriber, make_chat, make_provider, queue_turn, running
from tests.fakeserver import FakeProviderProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

QUESTION = " ".join(f"word{i}" for i in range(120))  # demo-echo streams it at 30 tokens/s


@pytest.fixture
def layer() -> InMemoryChannelLayer:
    return InMemoryChannelLayer()


@pytest.fixture
def fake_process() -> Iterator[FakeProviderProcess]:
    with FakeProviderProcess() as process:
        yield process


def _answers(chat_id: int) -> list[str]:
    return [m.text for m in ChatMessage.objects.filter(chat_id=chat_id, role=MessageRole.ASSISTANT)]


async def test_provider_killed_mid_stream_retries_as_timeout_then_succeeds(
    fake_process, layer
) -> None:
    provider = await sync_to_async(make_provider)(fake_process, kind="fake")
    chat = await sync_to_async(make_chat)(provider, "echo")
    async with (
        Subscriber(layer, chat.pk) as viewer,
        running(layer, policy=RetryPolicy(max_attempts=10)),
    ):
        await sync_to_async(queue_turn)(chat, QUESTION)
        await viewer.until("delta")
        await asyncio.to_thread(fake_process.kill)
        first_retry = await viewer.until("retry", within=15)
        assert first_retry[-1]["data"]["kind"] == "timeout"
        await asyncio.to_thread(fake_process.start)
        events = await viewer.until("done", "error", within=60)

    assert events[-1]["event"] == "done"
    assert {e["data"]["kind"] for e in viewer.named("retry")} == {"timeout"}
    last_retry = max(i for i, e in enumerate(events) if e["event"] == "retry")
    streamed = "".join(e["data"]["text"] for e in events[last_retry:] if e["event"] == "delta")
    assert streamed == QUESTION
    assert await sync_to_async(_answers)(chat.pk) == [QUESTION]
    kinds = await sync_to_async(list)(
        ChatRetryEvent.objects.filter(chat=chat).values_list("kind", flat=True)
    )
    assert set(kinds) == {"timeout"} and len(kinds) == len(viewer.named("retry"))


def _backend_pid() -> int:
    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)


@pytest.mark.postgres
async def test_runner_reconnects_after_its_postgres_backend_is_terminated(
    fake_process, layer
) -> None:
    provider = await runner_db(make_provider, fake_process, kind="fake")
    chat = await runner_db(make_chat, provider, "echo")
    async with Subscriber(layer, chat.pk) as viewer, running(layer, lease_seconds=2.0):
        await runner_db(queue_turn, chat, QUESTION)
        await viewer.until("delta")
        pid = await runner_db(_backend_pid)
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
            terminated = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        assert terminated == (True,)
        events = await viewer.until("done", "error", within=30)

    assert events[-1]["event"] == "done"
    refreshed = await runner_db(Chat.objects.get, pk=chat.pk)
    assert refreshed.status == ChatStatus.IDLE and refreshed.last_error is None
    assert await runner_db(_answers, chat.pk) == [QUESTION]
    assert await runner_db(_backend_pid) != pid
