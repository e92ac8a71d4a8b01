"""Mounted under a path prefix: by its own ``prefix``, by an outer router's ``root_path``, by Channels."""

from __future__ import annotations

import httpx
import pytest
from channels.routing import URLRouter
from django.urls import re_path

from chatcore.fakeprovider import create_app, token_text
from tests.chatcore.fakeprovider import sdk
from tests.chatcore.fakeprovider.sdk import APIS, stream
from tests.fakeserver import FakeProviderServer


def root_path_router(fake):
    """An outer ASGI router in the Starlette style: full path kept, mount point in root_path."""

    async def router(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/fake/"):
            await fake(dict(scope, root_path="/fake"), receive, send)
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"outer app"})

    return router


def stripping_router(fake):
    """An outer router that strips the mount point from the path and records it in root_path."""

    async def router(scope, receive, send):
        path = scope["path"].removeprefix("/fake")
        await fake(dict(scope, path=path, root_path="/fake"), receive, send)

    return router


MOUNTS = {
    "own_prefix": lambda: FakeProviderServer(prefix="/fake"),
    "root_path_router": lambda: FakeProviderServer(
        app=root_path_router(create_app()), prefix="/fake"
    ),
    "stripping_router": lambda: FakeProviderServer(
        app=stripping_router(create_app()), prefix="/fake"
    ),
    "channels_url_router": lambda: FakeProviderServer(
        app=URLRouter([re_path(r"^fake/", create_app())]), prefix="/fake"
    ),
}


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("api", APIS)
async def test_sdks_work_with_the_mount_point_in_the_base_url(mount, api):
    async with MOUNTS[mount]() as server:
        assert server.openai_base_url.endswith("/fake/openai/v1")
        oc = sdk.openai_client(server.openai_base_url)
        ac = sdk.anthropic_client(server.anthropic_base_url)
        async with oc, ac:
            result = await stream(api, oc, ac)
        recorded = server.requests()

    assert result.text == token_text(24)
    assert [entry["path"] for entry in recorded][-1].endswith(
        ("/completions", "/responses", "/messages")
    )


async def test_own_prefix_does_not_answer_outside_it():
    async with (
        FakeProviderServer(prefix="/fake/") as server,
        httpx.AsyncClient(trust_env=False, base_url=f"http://127.0.0.1:{server.port}") as client,
    ):
        inside = await client.get("/fake/openai/v1/models")
        outside = await client.get("/openai/v1/models")
        elsewhere = await client.get("/fakery/openai/v1/models")

    assert server.prefix == "/fake"
    assert (inside.status_code, outside.status_code, elsewhere.status_code) == (200, 404, 404)
