"""The sidebar over the page's socket (``/ws/sidebar/`` and the chat socket): live status of
each of the owner's chats from a real runner, catching up after a reconnect, titles,
renames and deletions, and operators' actions reaching an open chat page at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from chatcore.chats import ChatService
from chatcore.contract import format_utc
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, text_parts
from chatui.gallery.dom import Node, parse_html, select, text_of
from tests.chatui.consumers.conftest import (
    ORIGIN,
    SIDEBAR_FRAME,
    db,
    make_chat,
    make_user,
    running,
    session_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.asynccontextmanager
async def sidebar_socket(cookie: bytes | None, query: str = "") -> AsyncIterator[Any]:
    from chatui.asgi import application

    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    communicator = WebsocketCommunicator(application, f"/ws/sidebar/{query}", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def _frames_until(communicator: Any, selector: str, within: float = 30) -> Node:
    while True:
        frame = parse_html(await communicator.receive_from(timeout=within))
        if select(frame, selector):
            return frame


async def test_an_anonymous_sidebar_socket_is_closed_4401() -> None:
    async with sidebar_socket(None) as communicator:
        assert await communicator.receive_output(timeout=5) == {
            "type": "websocket.close",
            "code": 4401,
        }


async def test_the_sidebar_follows_a_turn_phase_by_phase(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner, model="demo-flaky")
    await db(Chat.objects.filter(pk=chat.pk).update)(title="")
    entry = f'[data-sidebar-update="{chat.pk}"]'
    async with sidebar_socket(await db(session_cookie)(owner)) as sidebar, running(layer):
        await ChatService(layer).send(chat.pk, _outgoing("hello"))
        queued = await _frames_until(sidebar, f'[data-sidebar-chat="{chat.pk}"]')
        (item,) = select(queued, f'[data-sidebar-chat="{chat.pk}"]')
        assert item.attrs["data-status"] == "starting"
        assert text_of(select(item, "[data-sidebar-title]")[0]) == "hello", "titled by its message"
        retrying = await _frames_until(sidebar, f'{entry}[data-status="retrying"]')
        (countdown,) = select(retrying, f"{entry} [data-countdown]")
        assert countdown.attrs["data-deadline"]
        assert text_of(select(retrying, "[data-sidebar-kind]")[0]) == "Rate limit"
        await _frames_until(sidebar, f'{entry}[data-status="streaming"]')
        done = await _frames_until(sidebar, f'{entry}[data-status="idle"]')
        assert select(done, f"{entry}[hidden]"), "idle shows no status line"


async def test_a_reconnecting_sidebar_catches_up_on_what_changed_since(fake) -> None:
    owner = await db(make_user)("owner")
    old = await db(make_chat)(fake, owner)
    since = timezone.now()
    await db(Chat.objects.filter(pk=old.pk).update)(updated_at=since - timedelta(hours=1))
    failed = await db(make_chat)(fake, owner)
    error = {"message": "Quota.", "kind": "usage_limit"}
    await db(Chat.objects.filter(pk=failed.pk).update)(status=ChatStatus.FAILED, last_error=error)
    query = "?since=" + quote(format_utc(since))
    async with sidebar_socket(await db(session_cookie)(owner), query) as sidebar:
        raw = await sidebar.receive_from(timeout=5)
    assert raw.startswith(SIDEBAR_FRAME)
    rows = {
        row.attrs["data-sidebar-chat"]: row
        for row in select(parse_html(raw), "[data-sidebar-chat]")
    }
    assert set(rows) == {str(failed.pk)}
    assert rows[str(failed.pk)].attrs["data-status"] == "failed"


async def test_another_users_sidebar_hears_nothing_of_mine(fake, layer) -> None:
    owner, stranger = await db(make_user)("owner"), await db(make_user)("stranger")
    chat = await db(make_chat)(fake, owner)
    async with sidebar_socket(await db(session_cookie)(stranger), "?owner=1") as theirs:
        async with sidebar_socket(await db(session_cookie)(owner)) as mine, running(layer):
            await ChatService(layer).send(chat.pk, _outgoing("secret plans"))
            await _frames_until(mine, f'[data-sidebar-update="{chat.pk}"][data-status="idle"]')
        assert await theirs.receive_nothing(timeout=0.5)


async def test_the_chat_socket_carries_renames_and_says_when_the_chat_is_deleted(
    fake, layer
) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    other = await db(make_chat)(fake, owner)
    service = ChatService(layer)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()  # the snapshot
        await service.rename(chat.pk, "  A better title ")
        renamed = await _sidebar(frames, f'[data-sidebar-chat="{chat.pk}"]')
        assert text_of(select(renamed, "[data-sidebar-title]")[0]) == "A better title"
        (title,) = select(renamed, "#chat-title")
        assert (title.attrs.get("hx-swap-oob"), text_of(title)) == ("true", "A better title")
        await service.delete(other.pk)
        removed = await _sidebar(frames, f'[data-sidebar-removed="{other.pk}"]')
        assert removed is not None
        await service.delete(chat.pk)
        notice = await frames.until('#chat-notice[data-notice-code="deleted"]')
        assert "deleted" in text_of(notice)
        closed = await frames.communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4404}
    assert not await db(Chat.objects.filter(pk__in=[chat.pk, other.pk]).exists)()


async def _sidebar(frames: Any, selector: str, within: float = 10) -> Node:
    while True:
        for raw in frames.sidebar:
            frame = parse_html(raw)
            if select(frame, selector):
                frames.sidebar.remove(raw)
                return frame
        raw = await frames.communicator.receive_from(timeout=within)
        (frames.sidebar if raw.startswith(SIDEBAR_FRAME) else frames.received).append(raw)


async def test_deleting_a_chat_stops_its_turn_first(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner, model="demo-down")  # retries until stopped
    service = ChatService(layer)
    async with running(layer) as runner, socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await service.send(chat.pk, _outgoing("go"))
        await frames.until('[data-phase="retrying"]')
        assert runner.active_chats == [chat.pk]
        await service.delete(chat.pk)
        await frames.until('#chat-notice[data-notice-code="deleted"]')
        for _ in range(50):
            if not runner.active_chats:
                break
            await asyncio.sleep(0.1)
        assert runner.active_chats == [], "the runner let go of the turn"
    assert not await db(ChatMessage.objects.filter(chat_id=chat.pk).exists)()


@pytest.mark.parametrize("action", ["clear_error", "requeue"])
async def test_an_operators_action_reaches_an_open_page_at_once(fake, layer, action: str) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    await db(ChatMessage.objects.create)(chat=chat, role=MessageRole.USER, content=text_parts("hi"))
    error = {"message": "The AI provider failed.", "kind": "generic", "retryable": True}
    await db(Chat.objects.filter(pk=chat.pk).update)(status=ChatStatus.FAILED, last_error=error)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        first = await frames.next()
        assert select(first, '[data-callout][data-phase="failed"]')
        fresh = await db(Chat.objects.get)(pk=chat.pk)
        service = ChatService(layer)
        if action == "clear_error":
            await service.clear_error(fresh)
            frame = await frames.next(within=5)
            assert not select(frame, "[data-callout]"), "the failure card is gone"
        else:
            assert await service.requeue(fresh)
            frame = await frames.next(within=5)
            assert select(frame, '[data-callout][data-phase="starting"]')
        (entry,) = select(
            await _sidebar(frames, f'[data-sidebar-chat="{chat.pk}"]'), "[data-sidebar-chat]"
        )
        assert entry.attrs["data-status"] == ("idle" if action == "clear_error" else "starting")


async def test_a_settings_change_updates_every_open_page_of_the_chat(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    await db(type(chat.provider).objects.filter(pk=chat.provider_id).update)(
        models=["echo", "demo-flaky"]
    )
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await ChatService(layer).update_settings(
            chat.pk, model="demo-flaky", system_prompt="Be brief.", allow_fallback=False
        )
        frame = await frames.until("#chat-model")
        (selected,) = select(frame, "[data-model-select] option[selected]")
        assert text_of(selected) == "demo-flaky"
        assert text_of(select(frame, "[data-system-prompt]")[0]) == "Be brief."
        assert select(frame, '[data-settings-toggle][data-system-prompt-set="true"]')
        (switch,) = select(frame, "#allow-fallback-field[hx-swap-oob] input[data-allow-fallback]")
        assert "checked" not in switch.attrs, "fallbacks off in every open page"


def _outgoing(text: str) -> Any:
    from chatcore.chats import Outgoing

    return Outgoing(text, json.dumps(text)[:20])
