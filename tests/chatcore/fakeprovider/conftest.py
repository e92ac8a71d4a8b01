"""Fixtures: one fake provider per module (reset before each test) and real SDK clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import openai
import pytest

from tests.chatcore.fakeprovider import sdk
from tests.fakeserver import FakeProviderServer


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
    async with sdk.openai_client(fake.openai_base_url) as client:
        yield client


@pytest.fixture
async def anthropic_client(fake: FakeProviderServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with sdk.anthropic_client(fake.anthropic_base_url) as client:
        yield client


def scenario(*outcomes: dict[str, Any]) -> dict[str, str]:
    """``extra_headers`` that script the next attempts."""
    return {"X-Fake-Scenario": json.dumps(list(outcomes))}


USER = [{"role": "user", "content": "Hello there"}]
