"""The Redis channel layer as configured, under what one process does with it.

A runner and the chat viewers of one process share it without stalls:

channels-redis (core layer) reads all channels of one name prefix in a process
from one Redis list, and lets only one receiver at a time block on a list. A
runner channel (or a snapshot reply channel) with a prefix of its own held
that turn while it waited for its own messages, so a consumer's events sat in
Redis for seconds (until the runner's read timed out) and buffered ones were
dropped with the error. Every channel the app makes uses the default prefix.

Many chats publish at once: redis-py 8 caps a connection pool at 100 and then
fails at once, so the settings size the pool for it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from chatcore.fakeprovider import STAMPED_TOKEN
from chatcore.runner import chat_group
from chatcore.runner.snapshot import chat_snapshot
from tests.chatcore.runner.conftest import make_chat, make_provider, queue_turn, running

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# 20 tokens stamped with their send time, 25 ms apart.
MODEL = "load-40tps-0.5s"


@pytest.fixture
async def redis_layer(redis_url: str) -> AsyncIterator[RedisChannelLayer]:
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    assert "hosts" in config, "the settings must configure Redis when REDIS_URL is set"
    # A prefix of this test's own, so that flush() deletes only its keys.
    layer = RedisChannelLayer(**{**config, "prefix": f"test-{uuid.uuid4().hex[:12]}:"})
    yield layer
    await layer.flush()
    await layer.close_pools()


async def test_viewer_events_are_not_held_up_by_the_runner_of_the_same_process(
    fresh_fake, redis_layer
) -> None:
    provider = await sync_to_async(make_provider)(fresh_fake)
    chat = await sync_to_async(make_chat)(provider, MODEL)
    # What a Channels consumer does: a channel of the default prefix in the chat's group.
    viewer = await redis_layer.new_channel()
    await redis_layer.group_add(chat_group(chat.pk), viewer)
    delays: list[float] = []
    snapshot: dict[str, Any] | None = None
    async with running(redis_layer):
        await sync_to_async(queue_turn)(chat)
        async with asyncio.timeout(30):
            while (message := await redis_layer.receive(viewer))["event"] != "done":
                if message["event"] != "delta":
                    continue
                now = time.time()
                delays += [
                    now - float(m[2]) for m in STAMPED_TOKEN.finditer(message["data"]["text"])
                ]
                if snapshot is None:
                    # A page (re)connecting mid-turn asks the runner over a reply channel.
                    snapshot = await chat_snapshot(redis_layer, chat.pk)

    assert len(delays) == 20
    # Milliseconds when nothing stalls; the stall lasted seconds (Redis read timeouts).
    assert max(delays) < 2.0
    assert snapshot is not None
    assert snapshot["live"]["text"].startswith("t0@")


async def test_three_hundred_chats_publish_at_once(redis_layer) -> None:
    viewer = await redis_layer.new_channel()
    groups = [chat_group(chat_id) for chat_id in range(1, 301)]
    for group in groups:
        await redis_layer.group_add(group, viewer)

    await asyncio.gather(
        *(
            redis_layer.group_send(group, {"type": "chat.event", "n": n})
            for n, group in enumerate(groups)
        )
    )
    async with asyncio.timeout(10):
        received = [await redis_layer.receive(viewer) for _ in groups]

    assert sorted(message["n"] for message in received) == list(range(300))
