"""Shared fixtures: service requirements, a live ASGI server and a real Chromium.

Tests that need PostgreSQL or Redis carry the `postgres` / `redis` marker. On a
bare machine they skip with a reason; with REQUIRE_SERVICES=1 (CI) they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def service_missing(reason: str) -> None:
    """Skip with the reason on a bare machine; fail when CI requires services."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def database_is_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def redis_available(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not database_is_postgres():
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL", "")
        if not url:
            service_missing("needs Redis: set REDIS_URL=redis://...")
        elif not redis_available(url):
            service_missing(f"needs Redis, but {url} does not answer")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url or not redis_available(url):
        service_missing("needs Redis: set REDIS_URL=redis://... to a running server")
    return url


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, *, timeout: float = 20.0, proc: subprocess.Popen[Any] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


class LiveServer:
    """A real ASGI server (Daphne) in a subprocess, on its own migrated database.

    It does not share the pytest-django test database: it owns a SQLite file,
    or a fresh PostgreSQL database when DATABASE_URL points at PostgreSQL.
    """

    def __init__(
        self, workdir: Path, extra_env: dict[str, str] | None = None, *, sqlite: bool = False
    ) -> None:
        """``sqlite=True``: a SQLite file even when the tests run on PostgreSQL."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self._pg_name: str | None = None
        self.env = dict(os.environ)
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "chatui.settings",
                "DJANGO_SECRET_KEY": "live-server-test-key-" + uuid.uuid4().hex,
                "DJANGO_DEBUG": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env.pop("CHAT_DEMO", None)
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith(("postgres://", "postgresql://")) and not sqlite:
            self._pg_name = f"calmchat_live_{uuid.uuid4().hex[:10]}"
            self._pg_admin(f'CREATE DATABASE "{self._pg_name}"')
            base = database_url.rsplit("/", 1)[0]
            self.env["DATABASE_URL"] = f"{base}/{self._pg_name}"
        else:
            self.env.pop("DATABASE_URL", None)
            self.env["SQLITE_PATH"] = str(workdir / "live.sqlite3")
        if extra_env:
            self.env.update(extra_env)
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def _pg_admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def manage(self, *args: str, input_text: str | None = None) -> str:
        """Run a management command against the live server's database."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "chatui.server",  # Daphne, as production runs it
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "chatui.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._pg_name:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def fake_provider() -> Iterator[Any]:
    """One in-process fake provider (a real HTTP server on loopback) for the session."""
    from tests.fakeserver import FakeProviderServer

    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def fresh_fake(fake_provider: Any) -> Any:
    """The session's fake provider with its recorded requests and scripts cleared."""
    fake_provider.reset()
    return fake_provider


@pytest.fixture
def fake(fresh_fake: Any) -> Any:
    return fresh_fake


@pytest.fixture(scope="session")
def live_server_proc() -> Iterator[LiveServer]:
    """One live ASGI server for the session (starting one takes about a second)."""
    workdir = Path(tempfile.mkdtemp(prefix="calmchat-live-"))
    server = LiveServer(workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (it cannot download its own browser here)."""
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES or os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}", pytrace=False)
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def staff_browser_state(browser: Any, live_server_proc: LiveServer) -> dict[str, Any]:
    """Playwright storage state of a staff user signed in to the live server (e.g. the gallery)."""
    username = f"staff-{uuid.uuid4().hex[:8]}"
    live_server_proc.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({username!r}, password='staff-pw', is_staff=True)",
    )
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server_proc.url}/admin/login/?next=/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", "staff-pw")
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server_proc.url}/admin/")
        state: dict[str, Any] = context.storage_state()
    finally:
        context.close()
    return state


def _close_old_connections_outside_transactions() -> None:
    from django.db import close_old_connections, connections

    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


@pytest.fixture(autouse=True)
def _keep_the_test_transaction_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Channels' ``database_sync_to_async`` never closes a connection inside a test's transaction.

    It closes "old" connections around every call, and Django closes one whose
    autocommit differs from the settings', which is every connection inside a
    non-transactional test's wrapping transaction: on PostgreSQL the test's
    own connection was closed under it ("the connection is closed") as soon as
    a view reached the chats service. Django's test client stops the same
    clean-up on its request signals for the same reason. Outside a transaction
    (transactional tests, live servers, production) nothing changes.
    """
    import channels.db

    monkeypatch.setattr(
        channels.db, "close_old_connections", _close_old_connections_outside_transactions
    )


@pytest.fixture(scope="session", autouse=True)
def _close_stray_test_db_sessions(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the test database be dropped even if a worker thread still holds a connection.

    Async tests run ORM calls on asgiref's executor thread (and runners keep
    theirs); PostgreSQL refuses to drop a database with open sessions.
    """
    if not database_is_postgres():
        yield
        return
    request.getfixturevalue("django_db_setup")
    yield
    import psycopg
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


def _close_worker_thread_connections() -> None:
    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper

    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            # Django never closes in-memory SQLite connections itself.
            BaseDatabaseWrapper.close(conn)
        else:
            conn.close()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After an async test, close what its ORM calls opened in asgiref's worker thread.

    pytest-django closes only the test thread's connections; one left open in
    the shared sync_to_async thread trips a later test's database blocker (and
    keeps PostgreSQL from dropping the test database).
    """
    import inspect

    if not inspect.iscoroutinefunction(getattr(item, "function", None)):
        return
    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor.submit(_close_worker_thread_connections).result(timeout=30)
