"""A provider's stored API key never leaks: not in pages, admin, socket frames, stored errors,
retry rows, /metrics, the JSON API or the logs, even when the provider echoes it back in its
error texts (as real providers do: "Incorrect API key provided: sk-…")."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from chatcore.chats import create_chat
from chatcore.metrics import default_retry_metrics
from chatcore.models import Chat, ChatRetryEvent, ChatStatus, Provider
from tests.fakeserver import FakeProviderServer
from tests.security.conftest import World, db, db_state, logged_in, open_socket, session_cookie
from tests.security.turns import run_turn

pytestmark = pytest.mark.django_db(transaction=True)

OPENAI_KEY = "sk-test-PLANTED0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-PLANTEDanthropic0123456789-abcdefAA"
MODEL = "leak-probe-model"


@dataclass(frozen=True)
class Leaky:
    """A provider kind, its planted key, and the error bodies its fake echoes the key in."""

    kind: str
    key: str

    @property
    def secret(self) -> str:
        """The key without its public prefix: a partly masked key must not show it either."""
        return self.key.split("PLANTED", 1)[1]

    def outcomes(self) -> list[dict[str, Any]]:
        """In-stream error, then a 429, then a terminal 401: every one quotes the key."""
        busy = f"Server busy while serving the request of {self.key}"
        throttled = f"Rate limit reached for key {self.key} on requests per min"
        said = f"Incorrect API key provided: {self.key}. Bearer {self.key} api_key={self.key}"
        if self.kind == "fake-anthropic":
            limited = {"type": "error", "error": {"type": "rate_limit_error", "message": throttled}}
            denied = {"type": "error", "error": {"type": "authentication_error", "message": said}}
        else:
            limited = {"error": {"message": throttled, "type": "requests", "code": None}}
            denied = {"error": {"message": said, "type": "invalid_request_error", "code": None}}
        return [
            {"kind": "stream_error", "after": 2, "message": busy},
            {"kind": "status", "status": 429, "body": limited},
            {"kind": "status", "status": 401, "body": denied},
        ]

    def header(self) -> str:
        """The scenario header with the key \\u-escaped: the plumbing itself must not carry it,
        or a debug log of the request options would be a false alarm."""
        escaped = "".join(f"\\u{ord(char):04x}" for char in self.key)
        return json.dumps(self.outcomes()).replace(self.key, escaped)


PROVIDERS = [
    pytest.param(Leaky("fake", OPENAI_KEY), id="openai_style_key"),
    pytest.param(Leaky("fake-anthropic", ANTHROPIC_KEY), id="anthropic_style_key"),
]


def _keyed_chat(world: World, fake: FakeProviderServer, leaky: Leaky) -> Chat:
    base = fake.anthropic_base_url if leaky.kind == "fake-anthropic" else fake.openai_base_url
    provider = Provider(name=f"keyed-{leaky.kind}", kind=leaky.kind, base_url=base, models=[MODEL])
    provider.set_api_key(leaky.key)
    provider.save()
    return create_chat(owner=world.owner, provider=provider, model=MODEL, title="k")


async def _collect(
    communicator: WebsocketCommunicator, into: list[str], failed: asyncio.Event
) -> None:
    """Keep every frame; say when the failed callout arrived (the end of the turn)."""
    while True:
        into.append(await communicator.receive_from(timeout=30))
        if 'data-phase="failed"' in into[-1]:
            failed.set()


def _surfaces(world: World, chat: Chat) -> dict[str, str]:
    """Every page, admin page and API answer that could show the chat, its error or its key."""
    owner, staff = logged_in(world.owner), logged_in(world.staff)
    pages = {
        "chat page": (owner, f"/chats/{chat.pk}/"),
        "chat list": (owner, "/chats/"),
        "api detail": (owner, f"/api/chats/{chat.pk}/"),
        "api list": (owner, "/api/chats/"),
        "admin chat": (staff, f"/admin/chatcore/chat/{chat.pk}/change/"),
        "admin chats": (staff, "/admin/chatcore/chat/"),
        "admin failed chats": (staff, "/admin/chatcore/chat/?status__exact=failed"),
        "admin provider": (staff, f"/admin/chatcore/provider/{chat.provider_id}/change/"),
        "admin providers": (staff, "/admin/chatcore/provider/"),
        "admin retries": (staff, "/admin/chatcore/chatretryevent/"),
        "metrics": (staff, "/metrics"),
    }
    out = {}
    for name, (client, path) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        out[name] = response.content.decode()
    return out


def _stored(chat_id: int) -> dict[str, Any]:
    chat = Chat.objects.get(pk=chat_id)
    events = list(ChatRetryEvent.objects.filter(chat_id=chat_id).values())
    return {"last_error": chat.last_error, "live_state": chat.live_state, "retry_events": events}


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines) + caplog.text


@pytest.mark.parametrize("leaky", PROVIDERS)
async def test_a_key_the_provider_echoes_never_leaks(
    world: World, fake: FakeProviderServer, layer: Any, caplog: Any, leaky: Leaky
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the SDKs' and httpx's included
    chat = await db(_keyed_chat)(world, fake, leaky)
    cookie = await db(session_cookie)(world.owner)
    frames: list[str] = []
    failed = asyncio.Event()
    async with open_socket(f"/ws/chats/{chat.pk}/", cookie) as communicator:
        assert (await communicator.connect())[0]
        reader = asyncio.create_task(_collect(communicator, frames, failed))
        try:
            finished = await run_turn(
                layer, chat.pk, "hello", leaky.header(), metrics=default_retry_metrics()
            )
            await asyncio.wait_for(failed.wait(), 10)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    # The turn really went through the echoing provider: two retries, then the 401.
    assert finished.status == ChatStatus.FAILED
    stored = await db(_stored)(chat.pk)
    assert stored["last_error"]["kind"] == "auth"
    assert len(stored["retry_events"]) == 2
    surfaces = await db(_surfaces)(world, chat)
    assert f'model="{MODEL}"' in surfaces["metrics"], "the turn was counted"

    haystacks = {
        "websocket frames": "\n".join(frames),
        "stored rows": repr(await db(db_state)()) + json.dumps(stored, default=str),
        "logs": _log_text(caplog),
        **surfaces,
    }
    for where, text in haystacks.items():
        assert leaky.key not in text, f"the key leaked into {where}"
        assert leaky.secret not in text, f"part of the key leaked into {where}"
    assert "[REDACTED]" in stored["last_error"]["detail"], "the echoed key arrived, masked"
