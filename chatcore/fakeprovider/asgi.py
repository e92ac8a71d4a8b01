"""Small ASGI plumbing: reading the body, sending whole responses, noticing a client leave."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = [
    "Receive",
    "Scope",
    "Send",
    "Sleep",
    "drop_connection",
    "read_body",
    "request_headers",
    "send_bytes",
    "send_json",
    "sleep_unless_gone",
    "start_message",
    "watch_disconnect",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[Any]]


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def request_headers(scope: Scope) -> dict[str, str]:
    """Request headers with lower-cased names (later duplicates win)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", ())
    }


def _encode(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def send_bytes(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[str, str]]
) -> None:
    """A complete response with a Content-Length."""
    encoded = [*_encode(headers), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": encoded})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_json(
    send: Send, status: int, value: Any, headers: Iterable[tuple[str, str]] = ()
) -> None:
    """A complete JSON response."""
    body = json.dumps(value).encode()
    await send_bytes(send, status, body, [("content-type", "application/json"), *headers])


def start_message(status: int, headers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """An ``http.response.start`` message."""
    return {"type": "http.response.start", "status": status, "headers": _encode(headers)}


def watch_disconnect(receive: Receive) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """An event set when the client goes away, and the task that watches for it."""
    gone = asyncio.Event()

    async def _watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    return gone, asyncio.create_task(_watch())


async def sleep_unless_gone(sleep: Sleep, seconds: float, gone: asyncio.Event) -> bool:
    """Sleep, but wake early when the client leaves; return whether it is still there."""
    if seconds <= 0:
        return not gone.is_set()
    napping = asyncio.ensure_future(sleep(seconds))
    leaving = asyncio.ensure_future(gone.wait())
    try:
        await asyncio.wait({napping, leaving}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        napping.cancel()
        leaving.cancel()
    return not gone.is_set()


def drop_connection(send: Send) -> None:
    """Have the server close the connection of a response the app leaves unfinished.

    uvicorn does this by itself when an app returns mid-response. Daphne keeps the
    connection open and ASGI has no "abort" message, so for Daphne we reach the
    transport: its ``send`` is ``partial(Server.handle_reply, protocol)``. Any
    other server is left alone (the client then sees a stalled body).
    """
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    transport = getattr(getattr(protocol, "channel", None), "transport", None)
    close = getattr(transport, "loseConnection", None)
    if callable(close):
        close()  # flushes what was written, then FIN: the body ends mid-chunk
