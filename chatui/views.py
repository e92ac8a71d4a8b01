"""Pages and small JSON endpoints of the web layer."""

from __future__ import annotations

import asyncio
import logging
import time

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

_CHECK_TIMEOUT = 3.0


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("channel layer returned an unexpected message")


async def _timed(name: str, check: object) -> tuple[str, dict[str, object]]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check, timeout=_CHECK_TIMEOUT)  # type: ignore[arg-type]
    except Exception as exc:  # a health check reports failures, it does not raise them
        log.warning("healthz: %s check failed: %s", name, type(exc).__name__)
        return name, {"status": "error", "error": type(exc).__name__}
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return name, {"status": "ok", "ms": elapsed_ms}


async def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: the database and the channel layer answer."""
    results = dict(
        await asyncio.gather(
            _timed("database", sync_to_async(_check_database, thread_sensitive=True)()),
            _timed("channel_layer", _check_channel_layer()),
        )
    )
    healthy = all(check["status"] == "ok" for check in results.values())
    body = {"status": "ok" if healthy else "error", "checks": results}
    return JsonResponse(body, status=200 if healthy else 503)
