"""Hostile requests against real servers: Daphne as production runs it (``python -m
chatui.server``) and ``manage.py runserver`` (the demo's server).

* a websocket message over Daphne's 1 MiB limit gets the ``too_large`` notice and
  a clean close with 1009 (before: the connection was dropped, 1006);
* a static path that tries to leave the static folders is a 404 (before: 500).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chatui.serving import CLOSE_TOO_LARGE
from tests.conftest import ROOT, LiveServer, free_port, wait_for_port

MB = 1024 * 1024

_SETUP = """
import json
import uuid
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from chatcore.chats import create_chat
from chatcore.models import Provider
provider, _ = Provider.objects.get_or_create(name="limits", kind="fake", models=["demo-echo"])
user = User.objects.create_user("limits-" + uuid.uuid4().hex[:8])
chat = create_chat(owner=user, provider=provider)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"session": session.session_key, "chat": chat.pk}))
"""


class _Runserver:
    """``manage.py runserver`` on the live server's database and settings."""

    def __init__(self, live: LiveServer) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(
            [*command, "--noreload", "--skip-checks"],
            cwd=ROOT,
            env=live.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, proc=self.proc, timeout=40)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def servers(live_server_proc: LiveServer) -> Iterator[dict[str, str]]:
    runserver = _Runserver(live_server_proc)
    try:
        yield {"daphne": live_server_proc.url, "runserver": runserver.url}
    finally:
        runserver.stop()


SERVERS = ["daphne", "runserver"]


@pytest.mark.parametrize("server", SERVERS)
def test_a_message_over_a_mib_gets_the_notice_and_a_clean_1009_close(
    live_server_proc: LiveServer, servers: dict[str, str], server: str
) -> None:
    ids = json.loads(live_server_proc.manage("shell", "-c", _SETUP).strip().splitlines()[-1])
    host = servers[server].removeprefix("http://")
    headers = {"Cookie": f"sessionid={ids['session']}", "Origin": f"http://{host}"}
    with connect(
        f"ws://{host}/ws/chats/{ids['chat']}/", additional_headers=headers, open_timeout=20
    ) as socket:
        socket.recv(timeout=10)  # the snapshot
        socket.send(json.dumps({"content": "x" * (MB + 1024)}))
        notice = str(socket.recv(timeout=10))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert 'data-notice-code="too_large"' in notice
    assert closed.value.rcvd is not None, "the server sent a close frame (not a dropped socket)"
    assert closed.value.rcvd.code == CLOSE_TOO_LARGE


TRICKS = [
    pytest.param("/static/%2e%2e/chatui/settings.py", id="encoded_dot_dot"),
    pytest.param("/static/%2e%2e/%2e%2e/etc/passwd", id="encoded_dot_dot_twice"),
    pytest.param("/static/..%2fchatui%2fsettings.py", id="encoded_slash"),
    pytest.param("/static/%2fetc%2fpasswd", id="absolute_path"),
    pytest.param("/static/css/%00app.css", id="nul_byte"),
    pytest.param("/static/" + "a/" * 300 + "x.css", id="very_deep"),
]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("path", TRICKS)
def test_static_path_tricks_are_404s(servers: dict[str, str], server: str, path: str) -> None:
    host, port = servers[server].removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)  # sent as written, not normalised
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status in (400, 404), (response.status, body[:200])
    assert b"SECRET_KEY" not in body and b"root:" not in body


@pytest.mark.parametrize("server", SERVERS)
def test_a_real_static_file_is_still_served(servers: dict[str, str], server: str) -> None:
    host, port = servers[server].removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/static/css/app.css")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 200
