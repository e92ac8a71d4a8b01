"""Which event loop our processes run on (chatui.eventloop, chatui.server)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = (
    "import asyncio; from chatui.eventloop import install; name = install(); "
    "print(name, type(asyncio.new_event_loop()).__module__.split('.')[0])"
)


def _probe(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "CHAT_EVENT_LOOP"}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not exist on Windows")
def test_new_loops_are_uvloop_by_default() -> None:
    assert _probe() == "uvloop uvloop"


def test_chat_event_loop_asyncio_keeps_asyncio_s_own() -> None:
    assert _probe(CHAT_EVENT_LOOP="asyncio") == "asyncio asyncio"


def test_the_server_entry_point_is_daphne_s_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chatui.server", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--websocket_timeout" in done.stdout and "--proxy-headers" in done.stdout
