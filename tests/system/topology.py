"""Real processes for system tests: a private Redis, Daphne web servers, chatd runners.

Every process talks to the pytest-django test database (PostgreSQL), so rows a
test commits are what the processes see, and a private `redis-server` on a free
port (never the shared one: fault tests restart it).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore

from tests.conftest import ROOT, free_port, wait_for_port
from tests.streaming import is_stream_frame


class RedisServer:
    """A private redis-server on a free loopback port that a test may restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, proc=self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Processes:
    """Starts and always stops the processes of one test."""

    def __init__(
        self, workdir: Path, redis_url: str, extra_env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        db = settings.DATABASES["default"]
        self.env = {k: v for k, v in os.environ.items() if k not in ("CHAT_DEMO", "DJANGO_DEBUG")}
        self.env.update(
            DJANGO_SETTINGS_MODULE="chatui.settings",
            DJANGO_SECRET_KEY=settings.SECRET_KEY,  # sessions signed here are valid there
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            REDIS_URL=redis_url,
            CHAT_RUNNER="external",
            CHAT_LEASE_SECONDS="3",
            CHAT_POLL_INTERVAL="0.2",
            CHAT_FAKE_PROVIDER="0",
            PYTHONUNBUFFERED="1",
            **(extra_env or {}),
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        with (self.workdir / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.procs[name] = proc
        return proc

    def web(self, name: str) -> str:
        port = free_port()
        proc = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "chatui.server",  # Daphne, as production runs it (docs/operations.md)
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "chatui.asgi:application",
            ],
        )
        wait_for_port(port, proc=proc, timeout=40)
        return f"127.0.0.1:{port}"

    def runner(self, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(name, [sys.executable, "manage.py", "chatd"])

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def login_session(user: User) -> str:
    """A session key logged in as ``user`` (what the login view would create)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


class WebClient:
    """A logged-in HTTP client of one web process, with the CSRF cookie/header dance."""

    def __init__(self, host: str, session: str) -> None:
        self.base = f"http://{host}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session = session

    def _cookies(self) -> str:
        pairs = [f"sessionid={self.session}"] + [f"{c.name}={c.value}" for c in self.jar]
        return "; ".join(pairs)

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.base + path, headers={"Cookie": self._cookies()})
        with self.opener.open(request, timeout=20) as response:
            return response.read().decode()

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not any(c.name == "csrftoken" for c in self.jar):
            self.get("/chats/")
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": token,
                "Cookie": self._cookies(),
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def is_delta(frame: str) -> bool:
    """Whether a frame only carries streamed text (see tests/streaming.py)."""
    return is_stream_frame(frame)


def wait_until(predicate: Any, *, within: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
