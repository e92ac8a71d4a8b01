"""Fixtures: one fake provider per module (reset before each test) and real SDK clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import openai
import pytest

from chatcore.fakeprovider.testing import FakeProviderServer


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeProviderServer) -> FakeProviderServer:
    fake_server.reset()
    return fake_server


@pytest.fixture
async def openai_client(fake: FakeProviderServer) -> AsyncIterator[openai.AsyncOpenAI]:
    # trust_env=False: a proxy in the environment must never see loopback test traffic.
    client = openai.AsyncOpenAI(
        base_url=fake.openai_base_url,
        api_key="sk-test-0123456789abcdef",
        max_retries=0,
        timeout=20,
        http_client=openai.DefaultAsyncHttpxClient(trust_env=False),
    )
    async with client:
        yield client


@pytest.fixture
async def anthropic_client(fake: FakeProviderServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(
        base_url=fake.anthropic_base_url,
        api_key="sk-ant-test-0123456789",
        max_retries=0,
        timeout=20,
        http_client=anthropic.DefaultAsyncHttpxClient(trust_env=False),
    )
    async with client:
        yield client


def scenario(*outcomes: dict[str, Any]) -> dict[str, str]:
    """``extra_headers`` that script the next attempts."""
    return {"X-Fake-Scenario": json.dumps(list(outcomes))}


USER = [{"role": "user", "content": "Hello there"}]
