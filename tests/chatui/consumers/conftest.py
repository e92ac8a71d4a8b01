"""Chat socket fixtures: the real ASGI app, real sessions, a real runner and the fake provider.

Tests drive ``chatui.asgi.application`` with ``WebsocketCommunicator`` (the
real router, origin check and session auth). The test settings run no runner
of their own (``CHAT_RUNNER="external"``), so ``running()`` starts a real
``chatcore.runner.Runner`` on the test's event loop, on the same channel layer
(in-memory, or Redis when ``REDIS_URL`` is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from chatcore.chats import create_chat
from chatcore.models import Chat, ChatMessage, MessageRole, Provider
from chatui.gallery.dom import Node, parse_html, select
from tests.chatcore.runner.conftest import running  # noqa: F401 - one runner helper for both suites
from tests.fakeserver import FakeProviderServer
from tests.streaming import StreamedAnswer, is_stream_frame

ORIGIN = (b"origin", b"http://localhost")


def chat_event(chat_id: int, seq: int, event: str, data: dict, attempt: int = 1) -> dict:
    """A runner's ``chat.event`` message, as the consumer receives it from the group."""
    return {
        "type": "chat.event",
        "chat": chat_id,
        "seq": seq,
        "event": event,
        "attempt": attempt,
        "data": data,
    }


@pytest.fixture(autouse=True)
async def _close_thread_connections() -> AsyncIterator[None]:
    """Close the connections ORM calls opened in asgiref's worker thread.

    pytest-django closes only the test thread's connections; one left open in
    the shared sync_to_async thread makes a later test without database access
    fail in Channels' ``close_old_connections``.
    """
    yield
    await sync_to_async(_close_connections)()


def _close_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            # Django never closes in-memory SQLite connections (the last one
            # would take the database with it); the test thread keeps its own.
            BaseDatabaseWrapper.close(conn)
        else:
            conn.close()


@pytest.fixture
async def layer() -> AsyncIterator[Any]:
    layer = get_channel_layer()
    yield layer
    # Only the in-process layer: flushing Redis would wipe whatever else shares the server.
    if isinstance(layer, InMemoryChannelLayer):
        await layer.flush()


def make_user(username: str) -> User:
    return User.objects.create_user(username=username, password="pw-for-tests-only")


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def make_chat(fake: FakeProviderServer, owner: User, model: str = "echo") -> Chat:
    provider, _ = Provider.objects.get_or_create(
        name="fake",
        defaults={"kind": "fake", "base_url": fake.openai_base_url, "models": [model]},
    )
    return create_chat(owner=owner, provider=provider, model=model, title=model)


SIDEBAR_FRAME = '<div hx-swap-oob="beforeend:#sidebar-inbox">'


@dataclass
class Frames:
    """The HTML frames one socket received, parsed. The chat's own frames are what
    ``next`` returns; the sidebar's (the owner's chats, over the same socket) are kept
    apart in ``sidebar``, since they interleave with the chat's as other chats change."""

    communicator: WebsocketCommunicator
    received: list[str]
    sidebar: list[str] = field(default_factory=list)

    async def next(self, within: float = 10) -> Node:
        while True:
            text = await self.communicator.receive_from(timeout=within)
            if not text.startswith(SIDEBAR_FRAME):
                break
            self.sidebar.append(text)
        self.received.append(text)
        return parse_html(text)

    async def until(self, selector: str, *, within: float = 30) -> Node:
        """Read frames until one contains ``selector``; that frame."""
        async with asyncio.timeout(within):
            while True:
                frame = await self.next(within=within)
                if select(frame, selector):
                    return frame

    async def send(self, data: dict[str, Any]) -> None:
        await self.communicator.send_to(text_data=json.dumps(data))


@contextlib.asynccontextmanager
async def socket(chat_id: int, cookie: bytes | None) -> AsyncIterator[Frames]:
    """An open chat socket; always disconnected afterwards."""
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    from chatui.asgi import application

    communicator = WebsocketCommunicator(application, f"/ws/chats/{chat_id}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield Frames(communicator, [])
    finally:
        await communicator.disconnect()


def assistant_texts(chat_id: int) -> list[str]:
    return [m.text for m in ChatMessage.objects.filter(chat_id=chat_id, role=MessageRole.ASSISTANT)]


def delta_text(raw_frames: list[str]) -> str:
    """The answer the streamed frames among ``raw_frames`` built, as its visible text."""
    answer = StreamedAnswer()
    for raw in raw_frames:
        if is_stream_frame(raw):
            answer.apply(raw)
    return answer.text


def raw_text(node: Node) -> str:
    """A text element's exact text (``text_of`` folds whitespace like a reader would)."""
    return "".join(child for child in node.children if isinstance(child, str))


db = sync_to_async
