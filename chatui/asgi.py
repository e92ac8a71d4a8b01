"""ASGI entry point: HTTP through Django, websockets through Channels.

In the embedded default it also runs the in-process chat runner on the
server's event loop, from the first connection (Daphne has no lifespan
events) or from lifespan startup (uvicorn), and stops it when the server stops
so that its turns are handed back at once; and it mounts the fake provider at
``/fake/`` for the demo: its API paths only, with its control routes
(``/_fake/reset``, ``/_fake/requests``) off and no message bodies logged, since
anyone who can reach the web server can reach the mount.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatui.settings")
# Initialise Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.exceptions import SuspiciousOperation  # noqa: E402
from django.http import FileResponse, Http404, HttpRequest, HttpResponse  # noqa: E402

from chatcore.runner.service import ensure_inprocess_runner, stop_inprocess_runner  # noqa: E402
from chatui.origin import SameOriginValidator  # noqa: E402
from chatui.routing import websocket_urlpatterns  # noqa: E402

FAKE_MOUNT = "/fake"


class _StaticFiles(ASGIStaticFilesHandler):
    """Django's static files handler; a path that tries to leave the static folders
    (``/static/%2e%2e/…``) is a 404 like any missing file, not a 500."""

    def serve(self, request: HttpRequest) -> HttpResponse | FileResponse:
        try:
            return super().serve(request)
        except SuspiciousOperation as exc:
            raise Http404("no such static file") from exc


http_app: Any = _StaticFiles(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app

if settings.CHAT_FAKE_PROVIDER:
    from chatcore.fakeprovider import create_app as create_fake_provider

    _fake_provider = create_fake_provider(control=False, record_bodies=False)
    _django_http = http_app

    async def http_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if path == FAKE_MOUNT or path.startswith(FAKE_MOUNT + "/"):
            scope = {
                **scope,
                "path": path[len(FAKE_MOUNT) :] or "/",
                "root_path": scope.get("root_path", "") + FAKE_MOUNT,
            }
            await _fake_provider(scope, receive, send)
        else:
            await _django_http(scope, receive, send)


_router = ProtocolTypeRouter(
    {
        "http": http_app,
        # The Origin must be this site's own: scheme, host and port (chatui.origin).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] in ("http", "websocket") and ensure_inprocess_runner():
        _stop_before_twisted_shuts_down()
    await _router(scope, receive, send)


def _stop_before_twisted_shuts_down() -> None:
    """Daphne sends no lifespan events, but runs on Twisted's asyncio reactor: stop
    the in-process runner before that reactor stops (SIGTERM, SIGINT), through
    Twisted's public system-event triggers."""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None:
        return  # not under Daphne (a test's ASGI client, uvicorn without lifespan)
    from twisted.internet.defer import Deferred

    def before_shutdown() -> Deferred[None]:
        return Deferred.fromFuture(asyncio.ensure_future(stop_inprocess_runner()))

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)


async def _lifespan(receive: Any, send: Any) -> None:
    """ASGI lifespan, for servers that send it (uvicorn, hypercorn): the in-process
    runner starts with the server and hands its turns back when it stops."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            ensure_inprocess_runner()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await stop_inprocess_runner()
            await send({"type": "lifespan.shutdown.complete"})
            return
