"""Deltas reach the page without a trip through the process's one sync thread.

Channels closes stale database connections before every consumer handler, in
the thread that runs all ORM calls of the process. Deltas touch no database;
when they queued there behind each other (and behind the runner's writes), 200
chats' text arrived seconds late (bench/load.py). Other events still take it.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from chatcore.chats import chat_group
from chatui.gallery.dom import select, text_of
from tests.chatui.consumers.conftest import (
    chat_event,
    db,
    make_chat,
    make_user,
    session_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = 1.5  # seconds the sync thread is held, as by a slow query


async def test_a_delta_is_sent_while_the_sync_thread_is_busy(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    group = chat_group(chat.pk)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await layer.group_send(group, chat_event(chat.pk, 1, "status", {"phase": "starting"}))
        await frames.next()
        await layer.group_send(group, chat_event(chat.pk, 2, "status", {"phase": "streaming"}))
        await frames.next()
        busy = asyncio.ensure_future(sync_to_async(time.sleep)(BUSY))
        await asyncio.sleep(0.1)  # the sleep has the thread now
        started = time.monotonic()
        await layer.group_send(group, chat_event(chat.pk, 3, "delta", {"text": "fast"}))
        delta = await frames.next()
        elapsed = time.monotonic() - started
        await busy
        # A status event still closes stale connections first, in that thread.
        await layer.group_send(group, chat_event(chat.pk, 4, "status", {"phase": "idle"}))
        idle = await frames.next()

    assert text_of(delta) == "fast"
    assert elapsed < BUSY / 2
    assert select(idle, "[data-turn-controls]")
