"""Security fixtures: three kinds of user, a chat, real sessions, the real ASGI app.

Everything goes through the real stack: ``chatui.asgi.application`` for
websockets (origin check, session auth, the router), Django's test client for
HTTP, a real runner and the fake provider over loopback for turns. Nothing of
ours is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from prometheus_client import CollectorRegistry

from chatcore.chats import create_chat
from chatcore.metrics import RetryMetrics
from chatcore.models import Chat, ChatMessage, ChatRetryEvent, Provider, UsageCounter
from chatcore.retry import RetryPolicy
from chatcore.runner import Runner, TurnSettings
from tests.fakeserver import FakeProviderServer

ORIGIN = (b"origin", b"http://localhost")
PASSWORD = "pw-for-security-tests"

db = sync_to_async


@pytest.fixture
async def layer() -> AsyncIterator[Any]:
    layer = get_channel_layer()
    yield layer
    # Only the in-process layer: flushing Redis would wipe whatever else shares the server.
    if isinstance(layer, InMemoryChannelLayer):
        await layer.flush()


@dataclass
class World:
    """Who exists: the chat's owner, another user, an operator (staff), and the chat."""

    owner: User
    other: User
    staff: User
    provider: Provider
    chat: Chat


def make_user(username: str, *, staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    if staff:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


def make_provider(fake: FakeProviderServer, *, name: str = "fake", kind: str = "fake") -> Provider:
    base = fake.anthropic_base_url if kind == "fake-anthropic" else fake.openai_base_url
    return Provider.objects.create(
        name=name, kind=kind, base_url=base, models=["echo"], default_model="echo"
    )


def build_world(fake: FakeProviderServer) -> World:
    owner, other = make_user("owner"), make_user("other")
    staff = make_user("operator", staff=True)
    provider = make_provider(fake)
    chat = create_chat(owner=owner, provider=provider, model="echo", title="mine")
    return World(owner=owner, other=other, staff=staff, provider=provider, chat=chat)


@pytest.fixture
def world(fake: FakeProviderServer, db: None) -> World:
    return build_world(fake)


def logged_in(user: User | None, **options: Any) -> Client:
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


def session_cookie(user: User) -> bytes:
    client = logged_in(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def db_state() -> dict[str, Any]:
    """Every row a request could write, in a comparable form ("nothing changed" checks)."""
    return {
        "chats": list(Chat.objects.order_by("pk").values()),
        "messages": list(ChatMessage.objects.order_by("pk").values()),
        "retry_events": list(ChatRetryEvent.objects.order_by("pk").values()),
        "providers": list(Provider.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "usage": list(UsageCounter.objects.order_by("pk").values()),
    }


@contextlib.asynccontextmanager
async def open_socket(path: str, cookie: bytes | None) -> AsyncIterator[WebsocketCommunicator]:
    """A websocket through the real ASGI app; always disconnected afterwards."""
    from chatui.asgi import application

    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        yield communicator
    finally:
        await communicator.disconnect()


def _close_connection() -> None:
    connection.close()


@contextlib.asynccontextmanager
async def running(
    layer: Any,
    *,
    scenario: list[dict[str, Any]] | str | None = None,
    metrics: RetryMetrics | None = None,
) -> AsyncIterator[Runner]:
    """A real runner on ``layer`` with a fast retry policy until the block ends.

    ``scenario`` is the fake provider's script, as outcomes or as the header's JSON text.
    """
    script = scenario if isinstance(scenario, str) or not scenario else json.dumps(scenario)
    headers = {"X-Fake-Scenario": script} if script else {}
    runner = Runner(
        layer,
        settings=TurnSettings(
            policy=RetryPolicy(initial_delay=0.05, max_delay=0.2, max_attempts=3),
            startup_timeout=5.0,
            lease_seconds=5.0,
            extra_headers=headers,
        ),
        poll_interval=0.1,
        metrics=metrics or RetryMetrics(CollectorRegistry()),
    )
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.ready.wait(), 5)
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The runner's thread keeps a connection open; PostgreSQL cannot drop the
        # test database while it is.
        await sync_to_async(_close_connection, thread_sensitive=True)()
