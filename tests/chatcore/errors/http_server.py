"""A tiny loopback HTTP server that answers each request from a scripted reply.

A reply is chosen by the first path segment (`/<case>/...`), so one server can
serve a whole parametrised table: a client gets `base_url=server.url(case)`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Reply", "ScriptedServer", "scripted_server"]


@dataclass(frozen=True)
class Reply:
    """What the server sends back: a status, headers and a raw body."""

    status: int
    body: bytes | str | Mapping[str, object] | list[object] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (client timeouts)
    drop: bool = False  # close the connection after the headers, mid-body

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


class ScriptedServer:
    """A running server and its replies."""

    def __init__(self, httpd: ThreadingHTTPServer, replies: dict[str, Reply]) -> None:
        self._httpd = httpd
        self.replies = replies

    def url(self, case: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/{case}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replies: dict[str, Reply] = {}

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        case = self.path.strip("/").split("/", 1)[0]
        reply = self.replies.get(case, Reply(404, {"error": {"message": f"no case {case!r}"}}))
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.encoded()
        self.send_response(reply.status)
        headers = {"content-type": "application/json", **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body) + (100 if reply.drop else 0)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    do_GET = _answer
    do_POST = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout cases) is expected; do not print a traceback."""


@contextmanager
def scripted_server(replies: dict[str, Reply]) -> Iterator[ScriptedServer]:
    """Serve `replies` on 127.0.0.1 (a free port) for the duration of the block."""
    handler = type("Handler", (_Handler,), {"replies": replies})
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield ScriptedServer(httpd, replies)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
