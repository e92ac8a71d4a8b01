"""Fixtures: one fake provider per module (reset before each test) and adapters built on it.

Every adapter here is a real one from ``build_adapter``: the official SDK talks
HTTP to the fake provider on loopback, over each HTTP transport the SDKs support
(``HTTP_TRANSPORTS``): every test that builds an adapter runs once per transport.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatcore.providers import (
    HTTP_TRANSPORTS,
    Adapter,
    Finish,
    Message,
    Part,
    ProviderConfig,
    TextDelta,
    TurnRequest,
    build_adapter,
)
from tests.fakeserver import FakeProviderServer

KEY = "sk-test"
MODEL = "test-model"
PROMPT = "Hello there from the tests"
"""Five words: the fake reports the word count of the input as usage input tokens."""


@dataclass(frozen=True)
class Api:
    """One adapter flavour: the config kind, its provider id, and the fake's wire format."""

    name: str
    kind: str
    provider: str
    wire: str  # which of the fake's endpoints (and error body shapes) it talks to
    label: str  # how the adapter names itself in error texts
    terminal: str  # the event whose absence means truncation

    def base_url(self, fake: FakeProviderServer) -> str:
        return fake.anthropic_base_url if self.wire == "anthropic" else fake.openai_base_url


CHAT = Api("chat", "openai", "openai", "chat", "openai chat completions", "finish_reason")
RESPONSES = Api(
    "responses", "openai-responses", "openai", "responses", "openai responses", "terminal event"
)
ANTHROPIC = Api("anthropic", "anthropic", "anthropic", "anthropic", "anthropic", "message_stop")
COMPAT = Api(
    "compat", "openai-compatible", "openai-compat", "chat", "openai-compatible", "finish_reason"
)
APIS = (CHAT, RESPONSES, ANTHROPIC, COMPAT)
API_IDS = [api.name for api in APIS]


@dataclass
class Streamed:
    """What one ``adapter.stream`` call produced before it ended or raised."""

    parts: list[Part] = field(default_factory=list)
    error: Exception | None = None

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextDelta))

    @property
    def finishes(self) -> list[Finish]:
        return [p for p in self.parts if isinstance(p, Finish)]


async def consume(adapter: Adapter, request: TurnRequest) -> Streamed:
    """Read the whole stream, keeping the parts that arrived before any error."""
    result = Streamed()
    try:
        async for part in adapter.stream(request):
            result.parts.append(part)
    except Exception as error:  # the error itself is what the tests inspect
        result.error = error
    return result


def turn(
    *outcomes: Mapping[str, Any],
    text: str = PROMPT,
    previous_response_id: str | None = None,
    max_output_tokens: int | None = None,
    extra: Mapping[str, str] | None = None,
) -> TurnRequest:
    """A one-message turn whose attempts the fake scripts with ``outcomes``."""
    headers = {"X-Fake-Scenario": json.dumps(list(outcomes))} if outcomes else {}
    return TurnRequest(
        model=MODEL,
        messages=(Message("user", text),),
        previous_response_id=previous_response_id,
        max_output_tokens=max_output_tokens,
        extra_headers={**headers, **(extra or {})},
    )


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDKs honour proxy variables; loopback test traffic must never go through one.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeProviderServer) -> FakeProviderServer:
    fake_server.reset()
    return fake_server


AdapterFactory = Callable[..., Adapter]


@pytest.fixture(params=HTTP_TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The SDKs' HTTP stack under test: httpx2 (their default) or aiohttp."""
    return str(request.param)


@pytest.fixture
async def make_adapter(fake: FakeProviderServer, transport: str) -> AsyncIterator[AdapterFactory]:
    """``make_adapter(api, **config overrides)``: a real adapter on the fake, closed afterwards."""
    built: list[Adapter] = []

    def make(api: Api, **overrides: Any) -> Adapter:
        options: dict[str, Any] = {
            "kind": api.kind,
            "name": f"test {api.name}",
            "base_url": api.base_url(fake),
            "api_key": KEY,
            "timeout": 10.0,
            "transport": transport,
        }
        options.update(overrides)
        adapter = build_adapter(ProviderConfig(**options))
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        await adapter.aclose()
