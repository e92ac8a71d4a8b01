"""Delta coalescing and frame pacing (chatcore.runner.events), on Channels' real in-memory layer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from chatcore.chats import chat_group
from chatcore.contract import Phase
from chatcore.runner.events import (
    FRAME_BUDGET,
    MAX_FRAME_INTERVAL,
    MIN_FRAME_INTERVAL,
    ChatEvents,
    frame_interval_for,
)


async def _viewer(layer: InMemoryChannelLayer, chat_id: int) -> str:
    channel = await layer.new_channel()
    await layer.group_add(chat_group(chat_id), channel)
    return channel


async def _drain(layer: InMemoryChannelLayer, channel: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        try:
            frames.append(await asyncio.wait_for(layer.receive(channel), 0.3))
        except TimeoutError:
            return frames


async def test_deltas_between_frames_go_out_together_and_whole() -> None:
    layer = InMemoryChannelLayer()
    viewer = await _viewer(layer, 1)
    events = ChatEvents(layer, 1, seq=10, frame_interval=0.05)
    await events.status(Phase.STREAMING, 1)
    for token in ["Hel", "lo", ", ", "wor", "ld"]:
        await events.delta(token)
    await events.done(99, 1)

    frames = await _drain(layer, viewer)
    assert [f["seq"] for f in frames] == list(range(11, 11 + len(frames)))
    deltas = [f["data"]["text"] for f in frames if f["event"] == "delta"]
    assert "".join(deltas) == "Hello, world"
    assert len(deltas) == 1, "tokens queued before a frame share it"
    assert frames[-1]["event"] == "done"
    assert events.state.text == "Hello, world"


@pytest.mark.parametrize(("interval", "most", "fewest"), [(0.01, 40, 10), (0.2, 3, 1)])
async def test_frames_follow_the_interval_the_runner_gives(
    interval: float, most: int, fewest: int
) -> None:
    layer = InMemoryChannelLayer()
    viewer = await _viewer(layer, 2)
    events = ChatEvents(layer, 2, seq=0, frame_interval=lambda: interval)
    for n in range(30):  # 30 tokens over about 0.3 s
        await events.delta(f"t{n} ")
        await asyncio.sleep(0.01)
    await events.flush()

    deltas = [f["data"]["text"] for f in await _drain(layer, viewer)]
    assert "".join(deltas) == "".join(f"t{n} " for n in range(30)), "no token lost or doubled"
    assert fewest <= len(deltas) <= most


def test_a_runner_keeps_its_frames_within_the_budget() -> None:
    assert frame_interval_for(0) == MIN_FRAME_INTERVAL
    assert frame_interval_for(1) == MIN_FRAME_INTERVAL
    assert frame_interval_for(FRAME_BUDGET // 20) == pytest.approx(MIN_FRAME_INTERVAL)
    for chats in (150, 200, 400):
        assert chats / frame_interval_for(chats) == pytest.approx(FRAME_BUDGET)
    assert frame_interval_for(100_000) == MAX_FRAME_INTERVAL
