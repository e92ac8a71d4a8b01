"""The embedded default's in-memory channel layer: Channels' own, with its expiry sweep batched."""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer

from chatui.layers import ThrottledInMemoryChannelLayer


async def test_it_delivers_like_channels_in_memory_layer() -> None:
    layer = ThrottledInMemoryChannelLayer()
    assert isinstance(layer, InMemoryChannelLayer)
    viewers = [await layer.new_channel() for _ in range(3)]
    for viewer in viewers:
        await layer.group_add("chat_1", viewer)
    await layer.group_send("chat_1", {"type": "chat.event", "seq": 1})
    await layer.send(viewers[0], {"type": "chat.watch"})
    assert [await layer.receive(v) for v in viewers] == [{"type": "chat.event", "seq": 1}] * 3
    assert await layer.receive(viewers[0]) == {"type": "chat.watch"}


async def test_expired_messages_and_their_channels_are_still_swept() -> None:
    layer = ThrottledInMemoryChannelLayer(expiry=0.05, clean_interval=0.05)
    dead, alive = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("chat_1", dead)
    await layer.group_add("chat_1", alive)
    await layer.send(dead, {"type": "never.read"})
    await asyncio.sleep(0.15)
    # Any call sweeps once the interval is over: the dead channel's message has
    # expired, so it leaves its groups, and group events reach the living only.
    await layer.group_send("chat_1", {"type": "chat.event"})
    assert dead not in layer.channels
    assert dead not in layer.groups["chat_1"]
    assert await layer.receive(alive) == {"type": "chat.event"}


async def test_the_sweep_waits_for_its_interval() -> None:
    layer = ThrottledInMemoryChannelLayer(expiry=0.01, clean_interval=60)
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.send(first, {"type": "one"})  # sweeps (the first call), then queues
    await asyncio.sleep(0.05)
    await layer.send(second, {"type": "two"})  # no sweep: the interval is not over
    assert first in layer.channels, "swept before its interval"


async def test_a_full_member_misses_a_group_message_and_the_others_get_it() -> None:
    layer = ThrottledInMemoryChannelLayer(capacity=1)
    full, free = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("chat_1", full)
    await layer.group_add("chat_1", free)
    await layer.send(full, {"type": "first"})
    await layer.group_send("chat_1", {"type": "chat.event"})
    assert await layer.receive(full) == {"type": "first"}
    assert await layer.receive(free) == {"type": "chat.event"}
    await layer.group_send("chat_1", {"type": "chat.event", "n": 2})
    assert await layer.receive(full) == {"type": "chat.event", "n": 2}


async def test_members_get_copies() -> None:
    layer = ThrottledInMemoryChannelLayer()
    one, two = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("chat_1", one)
    await layer.group_add("chat_1", two)
    await layer.group_send("chat_1", {"type": "chat.event", "data": {"text": "hi"}})
    first = await layer.receive(one)
    first["data"]["text"] = "changed"
    assert (await layer.receive(two))["data"] == {"text": "hi"}


async def test_a_reader_waiting_between_messages_gets_each_and_a_stopped_one_leaves_nothing() -> (
    None
):
    layer = ThrottledInMemoryChannelLayer()
    viewer = await layer.new_channel()
    await layer.group_add("chat_1", viewer)
    reading = asyncio.ensure_future(layer.receive(viewer))
    await asyncio.sleep(0)  # the reader waits on an empty channel
    await layer.group_send("chat_1", {"type": "chat.event", "seq": 1})
    assert await reading == {"type": "chat.event", "seq": 1}
    # The next message lands while nobody is reading, and is kept for the reader.
    await layer.group_send("chat_1", {"type": "chat.event", "seq": 2})
    assert await layer.receive(viewer) == {"type": "chat.event", "seq": 2}
    # A consumer stops by cancelling its receive: its empty channel goes with it.
    stopped = asyncio.ensure_future(layer.receive(viewer))
    await asyncio.sleep(0)
    stopped.cancel()
    await asyncio.gather(stopped, return_exceptions=True)
    assert viewer not in layer.channels


async def test_a_stopped_reader_keeps_messages_that_arrived_for_it() -> None:
    layer = ThrottledInMemoryChannelLayer()
    viewer = await layer.new_channel()
    stopped = asyncio.ensure_future(layer.receive(viewer))
    await asyncio.sleep(0)
    await layer.send(viewer, {"type": "one"})
    await layer.send(viewer, {"type": "two"})
    stopped.cancel()  # cancelled before it ran again: it took nothing
    await asyncio.gather(stopped, return_exceptions=True)
    assert viewer in layer.channels
    assert [await layer.receive(viewer) for _ in range(2)] == [{"type": "one"}, {"type": "two"}]
