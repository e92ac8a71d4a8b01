"""build_adapter: which API each configured kind speaks, and how its client is set up."""

from __future__ import annotations

import time

import pytest

from chatcore.providers import (
    Adapter,
    AnthropicAdapter,
    ChatCompletionsAdapter,
    ProviderConfig,
    ResponsesAdapter,
    UnknownProviderKind,
    build_adapter,
)
from tests.chatcore.providers.conftest import APIS, Api, consume, turn
from tests.fakeserver import FakeProviderServer, free_port

# (kind, adapter class, provider id used for classification)
KINDS = [
    ("openai", ChatCompletionsAdapter, "openai"),
    ("openai-chat", ChatCompletionsAdapter, "openai"),
    ("openai-responses", ResponsesAdapter, "openai"),
    ("anthropic", AnthropicAdapter, "anthropic"),
    ("openai-compatible", ChatCompletionsAdapter, "openai-compat"),
    ("openai-compat", ChatCompletionsAdapter, "openai-compat"),
    ("ollama", ChatCompletionsAdapter, "openai-compat"),
    ("vllm", ChatCompletionsAdapter, "openai-compat"),
    ("openrouter", ChatCompletionsAdapter, "openrouter"),
    # The fake provider imitates the real APIs, so failures read like the real provider's.
    ("fake", ChatCompletionsAdapter, "openai"),
    ("fake-openai", ChatCompletionsAdapter, "openai"),
    ("fake-openai-responses", ResponsesAdapter, "openai"),
    ("fake-anthropic", AnthropicAdapter, "anthropic"),
    (" OpenAI_Compatible ", ChatCompletionsAdapter, "openai-compat"),
]


@pytest.mark.parametrize(("kind", "cls", "provider"), KINDS, ids=[k[0].strip() for k in KINDS])
async def test_each_kind_speaks_its_api(kind: str, cls: type, provider: str) -> None:
    adapter = build_adapter(ProviderConfig(kind=kind, name=kind, base_url="http://127.0.0.1:9/v1"))
    try:
        assert type(adapter) is cls
        assert isinstance(adapter, Adapter)
        assert adapter.provider == provider
    finally:
        await adapter.aclose()


# Hosted OpenAI-compatible gateways are named after their host, so failures name them.
HOSTS = [
    ("https://openrouter.ai/api/v1", "openrouter"),
    ("https://my-resource.openai.azure.com/openai/v1", "azure"),
    ("https://ai-gateway.vercel.sh/v1", "vercel"),
    ("http://localhost:11434/v1", "openai-compat"),
    ("https://openrouter.ai.example.com/v1", "openai-compat"),
    (None, "openai-compat"),
]


@pytest.mark.parametrize(
    ("base_url", "provider"),
    HOSTS,
    ids=[
        "openrouter",
        "azure",
        "vercel",
        "local_ollama",
        "lookalike_host_is_not_openrouter",
        "no_url",
    ],
)
async def test_compatible_servers_are_named_by_host(base_url: str | None, provider: str) -> None:
    adapter = build_adapter(
        ProviderConfig(kind="openai-compatible", name="compat", base_url=base_url)
    )
    try:
        assert adapter.provider == provider
    finally:
        await adapter.aclose()


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(UnknownProviderKind, match="'gemini-native'"):
        build_adapter(ProviderConfig(kind="gemini-native", name="g"))


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
async def test_the_sdk_never_retries_on_its_own(
    api: Api, fake: FakeProviderServer, make_adapter
) -> None:
    # Our retry loop owns retrying: a retryable 500 reaches the provider exactly once.
    result = await consume(make_adapter(api), turn({"kind": "server_error"}))

    assert result.error is not None
    assert [r["attempt"] for r in fake.requests()] == [1]


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
async def test_the_configured_timeout_bounds_a_stalled_provider(api: Api, make_adapter) -> None:
    stalled = {"kind": "ok", "tokens": 3, "delay": 2.0}
    started = time.monotonic()

    result = await consume(make_adapter(api, timeout=0.25), turn(stalled))

    assert result.error is not None and result.parts == []
    assert time.monotonic() - started < 1.5


def _chain(error: BaseException | None) -> list[str]:
    """The root modules of every exception in ``error``'s cause/context chain."""
    roots: list[str] = []
    while error is not None:
        roots.append(type(error).__module__.partition(".")[0])
        error = error.__cause__ or error.__context__
    return roots


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
async def test_the_transport_setting_picks_the_sdks_http_stack(
    api: Api, transport: str, make_adapter
) -> None:
    # A refused connection is raised by the stack that made it: aiohttp's error sits
    # under the SDK's and httpx2's only when the aiohttp transport is configured.
    nobody = f"http://127.0.0.1:{free_port()}/v1"
    result = await consume(make_adapter(api, base_url=nobody), turn())

    assert ("aiohttp" in _chain(result.error)) == (transport == "aiohttp")
    assert ("httpcore2" in _chain(result.error)) == (transport == "httpx")


def test_an_unknown_transport_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'curl'"):
        build_adapter(ProviderConfig(kind="openai", name="o", transport="curl"))  # type: ignore[arg-type]
