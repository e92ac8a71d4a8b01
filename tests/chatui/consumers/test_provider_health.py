"""Provider health over the page's socket: a chat page's status line, and the new-chat
picker's, follow ``health.changed`` messages on ``HEALTH_GROUP`` through the real router,
and only for the provider/model the page shows."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from chatcore.chats import create_chat
from chatcore.health import HEALTH_CHANGED, HEALTH_GROUP, HealthView
from chatcore.models import BreakerState, Chat, Provider, ProviderHealth
from chatui.gallery.dom import Node, parse_html, select, text_of
from tests.chatui.consumers.conftest import (
    ORIGIN,
    Frames,
    assistant_texts,
    db,
    make_chat,
    make_user,
    session_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

QUIET = 0.3  # seconds a socket must stay silent to show it dropped a message


def _other_chat(owner: Any) -> Chat:
    provider = Provider.objects.create(name="Other AI", kind="fake", models=["echo"])
    return create_chat(owner=owner, provider=provider, model="echo", title="other")


def _health(provider_id: int, model: str = "", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "provider_id": provider_id,
        "provider": "fake",
        "model": model,
        "state": BreakerState.OPEN.value,
        "until": timezone.now() + timedelta(seconds=30),
        "kind": "overloaded",
        "waiting": 5,
    }
    values.update(fields)
    return HealthView(**values).to_dict()


async def _announce(layer: Any, health: dict[str, Any]) -> None:
    await layer.group_send(HEALTH_GROUP, {"type": HEALTH_CHANGED, "health": health})


def _lines(frame: Node) -> list[Node]:
    return select(frame, "[data-provider-status]")


async def _snapshot(frames: Frames) -> Node:
    return await frames.until("#provider-status[data-provider-status-slot]", within=10)


async def test_the_snapshot_carries_the_status_line_of_the_chats_provider(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    await db(ProviderHealth.objects.create)(
        provider_id=chat.provider_id,
        model="",
        cooldown_until=timezone.now() + timedelta(seconds=40),
        cooldown_kind="rate_limit",
        last_kind="rate_limit",
        waiting=2,
    )
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        snapshot = await _snapshot(frames)
        (line,) = _lines(snapshot)
        assert (line.attrs["data-provider"], line.attrs["data-state"]) == ("fake", "cooldown")
        text = text_of(select(line, "[data-provider-status-text]")[0])
        assert text.startswith("fake is rate limiting requests: 2 chats waiting, next try ")


async def test_health_changed_reaches_the_pages_on_that_provider_only(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    other = await db(_other_chat)(owner)
    cookie = await db(session_cookie)(owner)
    async with socket(chat.pk, cookie) as mine, socket(other.pk, cookie) as theirs:
        assert _lines(await _snapshot(mine)) == []
        assert _lines(await _snapshot(theirs)) == []

        await _announce(layer, _health(chat.provider_id))
        frame = await mine.next(within=5)
        (slot,) = select(frame, "#provider-status[data-provider-status-slot]")
        assert slot.attrs["hx-swap-oob"] == "true"
        (line,) = _lines(slot)
        assert (line.attrs["data-provider"], line.attrs["data-state"]) == ("fake", "open")
        await theirs.communicator.receive_nothing(timeout=QUIET)

        # Another model of the same provider is not this chat's trouble.
        await _announce(layer, _health(chat.provider_id, "another-model", state="cooldown"))
        await mine.communicator.receive_nothing(timeout=QUIET)

        await _announce(layer, _health(other.provider_id, provider="Other AI", state="half_open"))
        (line,) = _lines(await theirs.next(within=5))
        assert (line.attrs["data-provider"], line.attrs["data-state"]) == ("Other AI", "half_open")
        await mine.communicator.receive_nothing(timeout=QUIET)

        # Recovery empties the line; the same news twice is sent once.
        ok = _health(chat.provider_id, state="ok", until=None, kind="", waiting=0)
        await _announce(layer, ok)
        assert _lines(await mine.next(within=5)) == []
        await _announce(layer, ok)
        await mine.communicator.receive_nothing(timeout=QUIET)


async def test_a_malformed_message_changes_nothing(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await _snapshot(frames)
        await layer.group_send(HEALTH_GROUP, {"type": HEALTH_CHANGED, "health": "garbage"})
        await layer.group_send(HEALTH_GROUP, {"type": HEALTH_CHANGED})
        await frames.communicator.receive_nothing(timeout=QUIET)
        await _announce(layer, _health(chat.provider_id, model=chat.model, state="cooldown"))
        (line,) = _lines(await frames.next(within=5))
        assert line.attrs["data-state"] == "cooldown", "the socket still works"


@contextlib.asynccontextmanager
async def _sidebar(cookie: bytes, query: str) -> AsyncIterator[WebsocketCommunicator]:
    from chatui.asgi import application

    communicator = WebsocketCommunicator(
        application, f"/ws/sidebar/{query}", headers=[ORIGIN, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def test_the_new_chat_picker_follows_every_enabled_provider(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    off = await db(Provider.objects.create)(name="off", kind="fake", enabled=False)
    cookie = await db(session_cookie)(owner)
    async with _sidebar(cookie, "?health=1") as picker, _sidebar(cookie, "") as plain:
        first = parse_html(await picker.receive_from(timeout=5))
        assert select(first, "#provider-status-list") and _lines(first) == []

        await _announce(layer, _health(chat.provider_id, "echo", state="cooldown", waiting=1))
        (line,) = _lines(parse_html(await picker.receive_from(timeout=5)))
        assert (line.attrs["data-model"], line.attrs["data-state"]) == ("echo", "cooldown")
        assert text_of(select(line, "[data-provider-status-text]")[0]).startswith(
            "echo on fake is overloaded: 1 chat waiting"
        )
        # A disabled provider is not offered, so its news is not shown; a page without
        # the picker hears none of it.
        await _announce(layer, _health(off.pk, provider="off"))
        await picker.receive_nothing(timeout=QUIET)
        await plain.receive_nothing(timeout=QUIET)


async def test_a_model_switch_follows_the_new_models_health(fake, layer) -> None:
    from chatcore.chats.messaging import chat_changed

    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    await db(ProviderHealth.objects.create)(
        provider_id=chat.provider_id,
        model="demo-flaky",
        state=BreakerState.OPEN,
        open_until=timezone.now() + timedelta(seconds=30),
        last_kind="timeout",
    )
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        assert _lines(await _snapshot(frames)) == [], "echo is fine"
        await db(Chat.objects.filter(pk=chat.pk).update)(model="demo-flaky")
        await chat_changed(layer, chat.pk)
        (line,) = _lines(await _snapshot(frames))
        assert line.attrs["data-state"] == "open"
        await _announce(layer, _health(chat.provider_id, "demo-flaky", state="ok", until=None))
        assert _lines(await frames.next(within=5)) == []


@pytest.mark.slow
async def test_a_real_outage_shows_on_the_page_and_clears(fake, layer) -> None:
    """End to end: the fake provider down for everyone on ``outage-3s``, a real runner with
    shared health; the open page shows the status line and the shared wait, then neither."""
    from chatcore.chats import ChatService, Outgoing
    from tests.chatcore.runner.test_shared_health import HEALTH, runner

    owner = await db(make_user)("owner")
    chats = [await db(make_chat)(fake, owner, model="outage-3s") for _ in range(3)]
    async with socket(chats[0].pk, await db(session_cookie)(owner)) as frames:
        await _snapshot(frames)
        async with runner(layer, HEALTH):
            for chat in chats:
                await ChatService(layer).send(chat.pk, Outgoing("hello", f"hello-{chat.pk}"))
            down = await frames.until('[data-provider-status][data-state="open"]', within=20)
            (line,) = _lines(down)
            assert (line.attrs["data-provider"], line.attrs["data-model"]) == ("fake", "outage-3s")
            shared = await frames.until('[data-callout][data-shared="true"]', within=20)
            (title,) = select(shared, "[data-callout-title]")
            assert text_of(title) == "Waiting for the AI provider to recover"
            # The probe answers: the breaker closes and the page's line goes.
            async with asyncio.timeout(30):
                while True:
                    frame = await frames.next(within=30)
                    slots = select(frame, "#provider-status")
                    if slots and _lines(slots[-1]) == []:
                        break
            async with asyncio.timeout(30):
                while True:  # until the answer is stored (not the provisional one)
                    frame = await frames.until("#transcript", within=30)
                    answers = select(frame, '#transcript [data-role="assistant"]')
                    if any("data-provisional" not in node.attrs for node in answers):
                        break
            assert len(await db(assistant_texts)(chats[0].pk)) == 1
