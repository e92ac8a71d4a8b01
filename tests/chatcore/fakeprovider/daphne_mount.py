"""An ASGI app for the Daphne test: the fake provider mounted at /fake under an outer router."""

from __future__ import annotations

from chatcore.fakeprovider import create_app

_fake = create_app(prefix="/fake")


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith("/fake/"):
        await _fake(scope, receive, send)
        return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"outer app"})
