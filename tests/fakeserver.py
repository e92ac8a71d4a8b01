"""Run the fake provider for tests and benchmarks: in a background thread, or as a killable
subprocess. (A test harness: it is not part of the `chatcore.fakeprovider` package.)"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn

from chatcore.fakeprovider.app import create_app

__all__ = ["ASGIApp", "FakeProviderProcess", "FakeProviderServer", "free_port"]

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

_ROOT = Path(__file__).resolve().parents[1]
_LOOPBACK = "127.0.0.1"
# No proxies: control calls must reach loopback directly whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago."""
    with socket.socket() as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _normalised(prefix: str) -> str:
    """``fake/`` and ``/fake/`` both mean ``/fake``; empty means no prefix."""
    return "/" + prefix.strip("/") if prefix.strip("/") else ""


class _Endpoints:
    """Base URLs and the control routes, shared by the thread and process runners."""

    port: int
    prefix: str = ""

    @property
    def base_url(self) -> str:
        return f"http://{_LOOPBACK}:{self.port}{self.prefix}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/openai/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"{self.base_url}/anthropic"

    def _call(self, method: str, route: str) -> Any:
        request = urllib.request.Request(self.base_url + route, method=method)
        with _OPENER.open(request, timeout=5) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """Forget scenario positions, recorded requests and stored Responses ids."""
        self._call("POST", "/_fake/reset")

    def requests(self) -> list[dict[str, Any]]:
        """The recorded requests, oldest first (see the package docstring)."""
        result: list[dict[str, Any]] = self._call("GET", "/_fake/requests")
        return result


class FakeProviderServer(_Endpoints):
    """The app under uvicorn on a free loopback port, in a thread; ``with`` or ``async with``."""

    def __init__(
        self,
        *,
        app: ASGIApp | None = None,
        prefix: str | None = None,
        port: int = 0,
        **options: Any,
    ) -> None:
        """Serve ``app`` (default: a new ``create_app(prefix=..., **options)``).

        ``prefix`` is where the fake provider answers; it defaults to the app's own.
        Pass it explicitly when ``app`` is an outer router that mounts the fake.
        """
        if app is None:
            # The harness's tests assert what was sent: they ask for the bodies.
            options.setdefault("record_bodies", True)
            app = create_app(prefix=prefix or "", **options)
        self.app = app
        self.prefix = _normalised(prefix) if prefix is not None else getattr(app, "prefix", "")
        self._requested_port = port
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((_LOOPBACK, self._requested_port))
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            http="h11",
            loop="asyncio",
            lifespan="off",
            log_config=None,  # leave the test process's logging alone
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fakeprovider", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            # Streams still in flight (slow scenarios) must not hold the test up.
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


class FakeProviderProcess(_Endpoints):
    """``python -m chatcore.fakeprovider`` as a real subprocess that can be killed and restarted."""

    def __init__(
        self, *, port: int | None = None, prefix: str = "", state_ttl: float = 300.0
    ) -> None:
        self.port = port or free_port()
        self.prefix = _normalised(prefix)
        self._state_ttl = state_ttl
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the runner

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, *, timeout: float = 15.0) -> Self:
        """Start the server (on the same port as before) and wait until it answers."""
        command = [sys.executable, "-m", "chatcore.fakeprovider", "--host", _LOOPBACK]
        command += ["--port", str(self.port), "--prefix", self.prefix, "--log-level", "warning"]
        command += ["--state-ttl", str(self._state_ttl), "--record-bodies"]
        self._process = subprocess.Popen(command, cwd=_ROOT, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the fake provider exited early:\n{self.output()}")
            try:
                self._call("GET", "/_fake/health")
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: open streams die mid-body, like a crashed provider."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    def restart(self) -> Self:
        self.kill()
        return self.start()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None

    def output(self) -> str:
        """What the server printed so far (for failure messages)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._log.close()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.__exit__, exc_type, exc, tb)
