"""The Redis channel layer as configured, under what one process does with it.

A runner and the chat viewers of one process share it without stalls. (The
list-based core layer read all channels of a process from one Redis list under
one lock: a runner channel with a prefix of its own held that lock while it
waited, so viewers' events sat in Redis for seconds. The pub/sub layer has no
such lock; the test stays because the stall must never come back.)

Many chats publish at once, and a restarted Redis is reconnected to and
resubscribed without any help: the core layer could stop delivering to every
consumer of a process after a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from chatcore.chats import chat_group
from chatcore.fakeprovider import STAMPED_TOKEN
from chatcore.runner.snapshot import chat_snapshot
from tests.chatcore.runner.conftest import make_chat, make_provider, queue_turn, running
from tests.system.topology import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# 20 tokens stamped with their send time, 25 ms apart.
MODEL = "load-40tps-0.5s"


def configured_layer(url: str | None = None, prefix: str | None = None) -> Any:
    """A layer built exactly as the settings build it, with a prefix of the test's own
    (the Redis may be shared with running servers) and optionally another server."""
    layers = settings.CHANNEL_LAYERS["default"]
    config = layers.get("CONFIG", {})
    assert "hosts" in config, "the settings must configure Redis when REDIS_URL is set"
    hosts = [{**host, "address": url or host["address"]} for host in config["hosts"]]
    backend = import_string(layers["BACKEND"])
    prefix = prefix or f"test-{uuid.uuid4().hex[:12]}:"
    return backend(**{**config, "hosts": hosts, "prefix": prefix})


@pytest.fixture
async def redis_layer(redis_url: str) -> AsyncIterator[Any]:
    layer = configured_layer()
    yield layer
    await layer.flush()


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


async def test_three_hundred_chats_publish_at_once(redis_layer: Any) -> None:
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


async def _receive_all(layer: Any, channel: str, sink: list[int]) -> None:
    while True:
        sink.append((await layer.receive(channel))["n"])


async def test_a_restarted_redis_is_resubscribed_and_delivery_resumes(
    redis_url: str, tmp_path: Any
) -> None:
    # A private server: this test kills it, the shared one must never be touched.
    server = RedisServer(tmp_path).start()
    layer = configured_layer(server.url)
    try:
        viewers = [await layer.new_channel() for _ in range(5)]
        for viewer in viewers:
            await layer.group_add("chat_1", viewer)
        await layer.group_send("chat_1", {"type": "chat.event", "n": 1})
        async with asyncio.timeout(5):
            got = [[(await layer.receive(viewer))["n"]] for viewer in viewers]
        readers = [
            asyncio.create_task(_receive_all(layer, viewer, sink))
            for viewer, sink in zip(viewers, got, strict=True)
        ]

        server.kill()
        with pytest.raises(Exception):  # noqa: B017 (redis-py's ConnectionError, whichever)
            await layer.group_send("chat_1", {"type": "chat.event", "n": 2})
        server.start()

        # Whatever was published before the subscriber came back is lost (at
        # most once; pages resynchronise on the sequence gap); after that every
        # viewer gets every event again, without any help from us.
        n = 3
        async with asyncio.timeout(20):
            while not all(sink[-1:] == [n] for sink in got):
                n += 1
                await layer.group_send("chat_1", {"type": "chat.event", "n": n})
                await asyncio.sleep(0.1)
        for sink in got:
            assert sink[0] == 1 and 2 not in sink
            assert sink == sorted(set(sink)), "no duplicates, in order"
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    finally:
        await layer.flush()
        server.kill()


async def test_snapshots_leave_no_subscription_behind(fresh_fake, redis_url: str) -> None:
    from redis.asyncio import Redis

    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    layer = configured_layer(prefix=prefix)
    redis = Redis.from_url(redis_url)
    provider = await sync_to_async(make_provider)(fresh_fake)
    chat = await sync_to_async(make_chat)(provider, "load-20tps-3s")
    try:
        async with running(layer):
            await sync_to_async(queue_turn)(chat)
            texts = []
            async with asyncio.timeout(10):
                while len(texts) < 10:
                    snapshot = await chat_snapshot(layer, chat.pk)
                    if snapshot["live"].get("text"):
                        texts.append(snapshot["live"]["text"])
                    await asyncio.sleep(0.05)
            channels = await redis.pubsub_channels(f"{prefix}*")
        # The runner asked each time (the text grows), and what stays subscribed
        # is the runner's channel and its wake-up group, not ten reply channels.
        assert texts == sorted(texts, key=len) and len(set(texts)) > 1
        assert len(channels) == 2, channels
    finally:
        await layer.flush()
        await redis.aclose()


@pytest.mark.django_db
async def test_health_probes_leave_no_subscription_behind(redis_url: str) -> None:
    from django.test import RequestFactory
    from redis.asyncio import Redis

    from chatui.views import healthz

    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    redis = Redis.from_url(redis_url)
    try:
        before = await redis.pubsub_channels(f"{prefix}*")
        for _ in range(5):
            response = await healthz(RequestFactory().get("/healthz"))
            assert response.status_code == 200, response.content
        after = await redis.pubsub_channels(f"{prefix}*")
    finally:
        await redis.aclose()
    assert sorted(after) == sorted(before)
