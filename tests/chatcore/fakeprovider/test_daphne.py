"""Mounted in Daphne (the Django demo's server): streaming works and a reset really drops the connection."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest

from chatcore.fakeprovider import token_text
from tests.chatcore.fakeprovider import sdk
from tests.chatcore.fakeprovider.conftest import scenario
from tests.chatcore.fakeprovider.sdk import APIS, Result, stream
from tests.fakeserver import free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def daphne_url() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    command.append("tests.chatcore.fakeprovider.daphne_mount:application")
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/fake"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/_fake/health", trust_env=False, timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("api", APIS)
async def test_streams_and_resets_under_daphne(api, daphne_url):
    oc = sdk.openai_client(f"{daphne_url}/openai/v1")
    ac = sdk.anthropic_client(f"{daphne_url}/anthropic")
    partial = Result("", None)
    async with oc, ac:
        whole = await stream(api, oc, ac, headers=scenario({"kind": "ok", "tokens": 30}))
        with pytest.raises(Exception) as caught:  # the SDK class varies; the cause does not
            await stream(api, oc, ac, headers=scenario({"kind": "reset", "after": 3}), into=partial)

    assert whole.text == token_text(30)
    assert partial.text == token_text(3)
    causes: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(cause, httpx2.RemoteProtocolError) for cause in causes)
