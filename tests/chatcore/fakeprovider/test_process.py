"""The standalone server: ``python -m chatcore.fakeprovider`` as a real process, killed and restarted."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import httpx2
import openai
import pytest

from chatcore.fakeprovider import token_text
from tests.chatcore.fakeprovider import sdk
from tests.chatcore.fakeprovider.conftest import scenario
from tests.fakeserver import FakeProviderProcess

SLOW = scenario({"kind": "ok", "tokens": 400, "rate": 50})


@pytest.fixture(scope="module")
def process() -> Iterator[FakeProviderProcess]:
    with FakeProviderProcess() as running:
        yield running


def client(process: FakeProviderProcess) -> openai.AsyncOpenAI:
    return sdk.openai_client(process.openai_base_url)


def test_help_documents_the_command():
    shown = subprocess.run(
        [sys.executable, "-m", "chatcore.fakeprovider", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "--port" in shown.stdout and "--host" in shown.stdout and "--prefix" in shown.stdout


async def test_standalone_process_serves_the_sdks(process):
    async with client(process) as oc:
        completion = await oc.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )

    assert completion.choices[0].message.content == token_text(24)
    assert process.requests()[-1]["path"] == "/openai/v1/chat/completions"


async def test_kill_mid_stream_then_restart_on_the_same_port(process):
    port = process.port
    async with client(process) as oc:
        anchor = await oc.responses.create(model="m", input="hi")
        chunks = await oc.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "go"}], stream=True, extra_headers=SLOW
        )
        received = ""
        with pytest.raises(openai.APIConnectionError) as caught:
            async for chunk in chunks:
                received += chunk.choices[0].delta.content or ""
                if len(received.split()) == 5:
                    await asyncio.to_thread(process.kill)
        # Chunks already in the socket buffer still arrive; the rest never does.
        assert received.startswith(token_text(5))
        assert token_text(400).startswith(received) and len(received) < len(token_text(400))
        assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)

        with pytest.raises(openai.APIConnectionError):  # nothing listens while it is down
            await oc.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )

        await asyncio.to_thread(process.start)
        again = await oc.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
        # A restart loses memory like a real crash: the old anchor is unknown now.
        with pytest.raises(openai.BadRequestError, match="not found"):
            await oc.responses.create(model="m", input="next", previous_response_id=anchor.id)

    assert process.port == port
    assert again.choices[0].message.content == token_text(24)


async def test_process_with_prefix_serves_under_it():
    async with FakeProviderProcess(prefix="fake") as prefixed:
        assert prefixed.openai_base_url.endswith("/fake/openai/v1")
        async with client(prefixed) as oc:
            models = await oc.models.list()

    assert "demo-flaky" in [model.id for model in models.data]
