"""The demo's fake provider, mounted at /fake/ of the web process, is no back door.

Before: ``/fake/_fake/requests`` answered anyone, without login, with every
user's prompts, and ``/fake/_fake/reset`` took a POST without a CSRF token.
Now the mount serves the provider API paths only (the demo's runner calls
them), its control routes are off, and its request log keeps no message text
unless a test asks for it. Requests go through the real ``chatui.asgi``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from chatcore.fakeprovider import create_app
from tests.security.conftest import World, db, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "my private question about a medical matter"
COMPLETION = {"model": "demo-echo", "messages": [{"role": "user", "content": PROMPT}]}


async def _mounted(method: str, path: str, *, cookie: bytes | None = None, **kw: Any) -> Any:
    from chatui.asgi import application

    headers = {"cookie": cookie.decode()} if cookie else {}
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.request(method, path, headers=headers, **kw)


CONTROL = [
    pytest.param("GET", "/fake/_fake/requests", id="request_log"),
    pytest.param("POST", "/fake/_fake/reset", id="reset"),
]


@pytest.mark.parametrize(("method", "path"), CONTROL)
@pytest.mark.parametrize("role", ["anonymous", "owner", "staff"])
async def test_the_mounts_control_routes_are_not_there_for_anyone(
    world: World, method: str, path: str, role: str
) -> None:
    user = None if role == "anonymous" else getattr(world, role)
    cookie = await db(session_cookie)(user) if user is not None else None
    # Something a reset would forget, and a log that could be read.
    sent = await _mounted("POST", "/fake/openai/v1/chat/completions", json=COMPLETION)
    assert sent.status_code == 200
    response = await _mounted(method, path, cookie=cookie)
    assert response.status_code == 404
    assert PROMPT not in response.text


async def test_the_mount_still_serves_the_provider_api(world: World) -> None:
    models = await _mounted("GET", "/fake/openai/v1/models")
    assert models.status_code == 200 and models.json()["object"] == "list"
    answer = await _mounted("POST", "/fake/openai/v1/chat/completions", json=COMPLETION)
    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"]


async def test_the_mounts_log_holds_no_message_text(world: World) -> None:
    from chatui import asgi

    await _mounted("POST", "/fake/openai/v1/chat/completions", json=COMPLETION)
    entries = asgi._fake_provider.requests.entries()
    assert entries, "the request was recorded"
    assert PROMPT not in json.dumps(entries)
    assert entries[-1]["body"] is None and entries[-1]["model"] == "demo-echo"


async def test_a_fake_provider_logs_bodies_only_when_asked() -> None:
    for record_bodies, holds_prompt in ((False, False), (True, True)):
        app = create_app(record_bodies=record_bodies)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            response = await client.post("/openai/v1/chat/completions", json=COMPLETION)
        assert response.status_code == 200
        assert (PROMPT in json.dumps(app.requests.entries())) is holds_prompt
