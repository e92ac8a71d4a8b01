"""Stop and shutdown: cancelling or closing a stream ends it at once and leaves the adapter usable."""

from __future__ import annotations

import asyncio

import pytest

from chatcore.fakeprovider import token_text
from chatcore.providers import Adapter, TurnRequest
from tests.chatcore.providers.conftest import APIS, Api, consume, turn

API_IDS = [api.name for api in APIS]
# Slow enough that the turn is certainly still streaming when it is stopped.
SLOW = {"kind": "ok", "tokens": 60, "rate": 20}


async def _read_until_first_part(
    adapter: Adapter, request: TurnRequest, seen: asyncio.Event
) -> None:
    async for _ in adapter.stream(request):
        seen.set()


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_cancelling_mid_stream_propagates_and_the_adapter_serves_the_next_turn(
    api: Api, make_adapter
) -> None:
    adapter = make_adapter(api)
    seen = asyncio.Event()
    task = asyncio.create_task(_read_until_first_part(adapter, turn(SLOW), seen))
    await asyncio.wait_for(seen.wait(), timeout=5)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    after = await consume(adapter, turn({"kind": "ok", "tokens": 3}))
    assert after.text == token_text(3)


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_cancelling_while_waiting_for_the_first_byte_is_not_turned_into_an_error(
    api: Api, make_adapter
) -> None:
    adapter = make_adapter(api)
    task = asyncio.create_task(consume(adapter, turn({**SLOW, "delay": 5})))
    await asyncio.sleep(0.2)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=2)


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_closing_the_stream_early_releases_it_quietly(api: Api, make_adapter) -> None:
    adapter = make_adapter(api)
    stream = adapter.stream(turn(SLOW))
    first = await anext(stream)  # type: ignore[call-overload]

    await stream.aclose()  # type: ignore[attr-defined]

    assert first.text == token_text(1)
    after = await consume(adapter, turn({"kind": "ok", "tokens": 2}))
    assert after.text == token_text(2)
