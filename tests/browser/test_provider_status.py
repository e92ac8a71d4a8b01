"""The provider status line in a real browser: a degraded ``ProviderHealth`` row shows on the
chat page and in the new-chat picker with its ``data-state``, the next try in the browser's
own time, and a ``health.changed`` sent to the group changes it live.

The rows are written, and the group message sent, from ``manage.py shell`` against the live
server's database and channel layer (Redis: another process must reach the server's group).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_chat_support import ChatServer, login, open_chat, start_chat_server

pytestmark = [pytest.mark.browser, pytest.mark.redis]

_DEGRADE = """
from datetime import timedelta
from django.utils import timezone
from chatcore.models import Provider, ProviderHealth
provider = Provider.objects.get(name={provider!r})
ProviderHealth.objects.update_or_create(provider=provider, model={model!r}, defaults=dict(
    cooldown_until=timezone.now() + timedelta(seconds={seconds}), cooldown_kind={kind!r},
    last_kind={kind!r}, waiting={waiting}))
print(provider.pk)
"""

_RECOVER = """
from chatcore.models import ProviderHealth
ProviderHealth.objects.filter(provider__name={provider!r}, model={model!r}).update(
    state="ok", cooldown_until=None, waiting=0)
"""

_ANNOUNCE = """
import json
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatcore.health import HEALTH_CHANGED, HEALTH_GROUP
async_to_sync(get_channel_layer().group_send)(
    HEALTH_GROUP, {{"type": HEALTH_CHANGED, "health": json.loads({health!r})}})
"""

_READ_LINE = """(scope) => {
  const line = document.querySelector(scope + " [data-provider-status]");
  if (!line) return null;
  const time = line.querySelector("time[data-next-try]");
  return {provider: line.dataset.provider, model: line.dataset.model, state: line.dataset.state,
          text: line.querySelector("[data-provider-status-text]").textContent.trim(),
          time: time ? time.textContent.trim() : null, hidden: line.hidden};
}"""


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    yield from start_chat_server()


def _degrade(server: ChatServer, *, model: str = "", seconds: int = 120, waiting: int = 3) -> int:
    code = _DEGRADE.format(
        provider="demo", model=model, seconds=seconds, kind="overloaded", waiting=waiting
    )
    return int(server.server.manage("shell", "-c", code).strip().splitlines()[-1])


def _announce(server: ChatServer, health: dict[str, Any]) -> None:
    """What the runner does on a change: the row is written, then the group told."""
    if health["state"] == "ok":
        code = _RECOVER.format(provider=health["provider"], model=health["model"])
        server.server.manage("shell", "-c", code)
    server.server.manage("shell", "-c", _ANNOUNCE.format(health=json.dumps(health)))


def _line(page: Any, scope: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate(_READ_LINE, scope)
    return result


def _health(provider_id: int, model: str, state: str, waiting: int) -> dict[str, Any]:
    return {
        "provider_id": provider_id,
        "provider": "demo",
        "model": model,
        "state": state,
        "until": "",
        "kind": "overloaded" if state != "ok" else "",
        "waiting": waiting,
    }


def test_the_chat_page_shows_the_status_line_and_follows_it_live(
    page: Any, chat_server: ChatServer
) -> None:
    chat = chat_server.chats(("demo", "demo", "echo"))["echo"]
    provider_id = _degrade(chat_server, waiting=3)
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, chat)

    line = _line(page, "#provider-status")
    assert line is not None
    assert (line["provider"], line["state"], line["hidden"]) == ("demo", "cooldown", False)
    assert line["text"].startswith("demo is overloaded: 3 chats waiting, next try ")
    # The browser rewrote the server's UTC time in its own zone, to the second.
    assert line["time"] and re.fullmatch(r"\d\d:\d\d:\d\d( [AP]M)?", line["time"])
    countdown = page.text_content("#provider-status [data-countdown]")
    assert countdown and re.fullmatch(r"\(in \d+s\)", countdown)

    _announce(chat_server, _health(provider_id, "", "half_open", 3))
    page.wait_for_selector('#provider-status [data-provider-status][data-state="half_open"]')
    line = _line(page, "#provider-status")
    assert line is not None
    assert line["text"] == "demo is recovering: trying one request, 3 chats waiting"

    _announce(chat_server, _health(provider_id, "", "ok", 0))
    page.wait_for_function(
        "() => !document.querySelector('#provider-status [data-provider-status]')"
    )


def test_the_new_chat_picker_shows_degraded_models_live(page: Any, chat_server: ChatServer) -> None:
    provider_id = _degrade(chat_server, model="demo-flaky", waiting=1)
    login(page, chat_server.base_url)
    page.goto(chat_server.base_url + "/chats/new/")
    page.wait_for_selector('[data-sidebar][data-socket="open"]')

    line = _line(page, "#provider-status-list")
    assert line is not None
    assert (line["provider"], line["model"], line["state"]) == ("demo", "demo-flaky", "cooldown")
    assert line["text"].startswith("demo-flaky on demo is overloaded: 1 chat waiting, next try ")

    _announce(chat_server, _health(provider_id, "demo-flaky", "open", 4))
    page.wait_for_selector('#provider-status-list [data-provider-status][data-state="open"]')
    line = _line(page, "#provider-status-list")
    assert line is not None
    assert line["text"].startswith("demo-flaky on demo is overloaded: requests paused, 4 chats")
