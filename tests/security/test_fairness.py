"""One user cannot starve everyone: 20 turns that keep failing do not keep another user's
fresh turn waiting. A real runner, the fake provider over loopback, a real database.

Before: the runner's slots (``CHAT_MAX_TURNS``) filled with one user's turns
sleeping in retry waits, and another user's turn stayed pending until they
were stopped. Now a turn in a retry wait holds no slot, and claims go
round-robin across users.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.db import connection
from prometheus_client import CollectorRegistry

from chatcore.chats import ChatService, Limits, Outgoing, SendOutcome, create_chat
from chatcore.metrics import RetryMetrics
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider
from chatcore.retry import RetryPolicy
from chatcore.runner import Runner, TurnSettings
from tests.fakeserver import FakeProviderServer
from tests.security.conftest import db

pytestmark = pytest.mark.django_db(transaction=True)

SLOTS = 2
HOGS = 20
# B's answer must arrive within this, although all of A's turns were there first.
BOUND = 8.0


def _setup(fake: FakeProviderServer) -> tuple[list[int], int]:
    provider = Provider.objects.create(
        name="fake",
        kind="fake",
        base_url=fake.openai_base_url,
        models=["demo-down", "quick"],
        default_model="quick",
    )
    hog, other = User.objects.create_user("hog"), User.objects.create_user("other")
    # demo-down resets every connection: a network failure, retried again and again.
    hogs = [create_chat(owner=hog, provider=provider, model="demo-down").pk for _ in range(HOGS)]
    return hogs, create_chat(owner=other, provider=provider, model="quick").pk


@contextlib.asynccontextmanager
async def _runner(layer: Any) -> AsyncIterator[Runner]:
    runner = Runner(
        layer,
        settings=TurnSettings(
            # Long waits between quick failures: a slot-holding wait would starve B.
            policy=RetryPolicy(initial_delay=1.0, max_delay=2.0, max_attempts=100),
            startup_timeout=5.0,
            lease_seconds=10.0,
        ),
        max_turns=SLOTS,
        poll_interval=0.2,
        metrics=RetryMetrics(CollectorRegistry()),
    )
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.ready.wait(), 5)
    try:
        yield runner
    finally:
        task.cancel()
        # Bounded: with freed slots waking the runner all the time, a cancellation
        # lost in asyncio.wait_for (Python 3.11) once kept it running for ever.
        async with asyncio.timeout(10):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await sync_to_async(_close_connection, thread_sensitive=True)()


def _close_connection() -> None:
    connection.close()


def _retrying(chat_ids: list[int]) -> int:
    return Chat.objects.filter(pk__in=chat_ids, status=ChatStatus.WAITING_RETRY).count()


async def _wait_for(predicate: Any, *, within: float) -> None:
    async with asyncio.timeout(within):
        while not await db(predicate)():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.05)


async def test_a_users_failing_turns_do_not_starve_another_users_fresh_turn(
    fake: FakeProviderServer, layer: Any
) -> None:
    hogs, fresh = await db(_setup)(fake)
    service = ChatService(layer)
    for chat_id in hogs:
        sent = await service.send(chat_id, Outgoing("please fail"), limits=Limits())
        assert sent.outcome is SendOutcome.ACCEPTED
    async with _runner(layer) as runner:
        # More of A's turns are waiting out a retry than the runner has slots.
        await _wait_for(lambda: _retrying(hogs) > SLOTS, within=20)
        assert len(runner.active_chats) > SLOTS
        started = time.monotonic()
        sent = await service.send(fresh, Outgoing("hello"), limits=Limits())
        assert sent.outcome is SendOutcome.ACCEPTED
        await _wait_for(lambda: Chat.objects.get(pk=fresh).status == ChatStatus.IDLE, within=BOUND)
        answered_in = time.monotonic() - started
        still_retrying = await db(_retrying)(hogs)
    answers = await db(
        lambda: list(ChatMessage.objects.filter(chat_id=fresh, role=MessageRole.ASSISTANT))
    )()
    assert len(answers) == 1 and answers[0].text, "B's turn was answered"
    assert answered_in < BOUND
    assert still_retrying > SLOTS, "A's turns were still failing all the while"
