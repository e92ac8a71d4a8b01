"""LiteLLM's proxy in front: what our classifier makes of each fault as the gateway relays it.

The proxy (``.venv-litellm``, from ``requirements-litellm.txt``) runs as a real
subprocess between our OpenAI-compatible adapter (the real ``openai`` SDK) and
the fake provider, with its own retries off. For every fault the fake can
script, the test asserts the whole outcome we see through the gateway: kind,
retryable, HTTP status and Retry-After, or, where the gateway turns a broken
stream into a normal one, that the turn completes with the partial text. Each
row says what the gateway loses; docs/troubleshooting.md ("An AI gateway in
front") explains it for operators.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatcore.errors import ErrorKind, classify
from chatcore.fakeprovider import token_text
from chatcore.providers import Adapter, Message, ProviderConfig, TurnRequest, build_adapter
from tests.chatcore.providers.conftest import PROMPT, consume
from tests.conftest import REQUIRE_SERVICES
from tests.fakeserver import FakeProviderServer
from tests.system.gateway import FAULTS, LITELLM, LiteLLMProxy

pytestmark = pytest.mark.slow

K = ErrorKind


def turn(*, model: str) -> TurnRequest:
    """One user message to a gateway model (its name selects the scripted fault)."""
    return TurnRequest(model=model, messages=(Message("user", PROMPT),))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiteLLMProxy, Any]]:
    if not LITELLM.exists():
        reason = (
            f"LiteLLM's proxy is not installed at {LITELLM.parent.parent}: "
            "./scripts/setup.sh --browser installs requirements-litellm.txt there"
        )
        if REQUIRE_SERVICES or os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with FakeProviderServer() as fake:
        proxy = LiteLLMProxy(Path(tmp_path_factory.mktemp("litellm")), fake.openai_base_url)
        proxy.start()
        try:
            yield proxy, fake
        finally:
            proxy.stop()


@pytest.fixture
async def adapter(gateway: tuple[LiteLLMProxy, Any]) -> Any:
    proxy, _ = gateway
    built: Adapter = build_adapter(
        ProviderConfig(
            kind="openai-compatible",
            name="gateway",
            base_url=proxy.base_url,
            api_key="sk-client-key-1234",
            timeout=30.0,
        )
    )
    yield built
    await built.aclose()


# (model, what the gateway sends, kind, retryable, status, retry_after)
ERRORS = [
    pytest.param("gw-rate-limit", K.RATE_LIMIT, True, 429, 0.0, id="429_retry_after_is_dropped"),
    pytest.param("gw-rate-limit-ms", K.RATE_LIMIT, True, 429, 0.0, id="429_retry_after_ms_is_dropped"),
    pytest.param("gw-overloaded", K.OVERLOADED, True, 529, 0.0, id="529_is_relayed"),
    pytest.param("gw-disabled", K.PROVIDER_DISABLED, False, 503, 0.0, id="503_provider_disabled"),
    # The gateway replaces the body's insufficient_quota code with its own
    # "throttling_error" / "429": OpenAI's quota text with a 429 alone is also how
    # Gemini words a per-minute limit, so it can only be read as a rate limit.
    pytest.param("gw-quota", K.RATE_LIMIT, True, 429, 0.0, id="quota_loses_its_code"),
    pytest.param("gw-auth", K.AUTH, False, 401, 0.0, id="401_auth"),
    pytest.param("gw-context", K.CONTEXT_LENGTH, False, 400, 0.0, id="400_context_length"),
    # An error event inside the stream comes back as the gateway's own in-stream
    # error ("MidStreamFallbackError ... APIConnectionError"): still retried.
    pytest.param("gw-in-stream-error", K.TIMEOUT, True, 200, 0.0, id="in_stream_error_event"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "kind", "retryable", "status", "retry_after"), ERRORS)
async def test_errors_as_the_gateway_relays_them(
    adapter: Adapter, model: str, kind: ErrorKind, retryable: bool, status: int, retry_after: float
) -> None:
    result = await consume(adapter, turn(model=model))

    assert result.error is not None, f"{model} went through the gateway without an error"
    got = classify(result.error, provider="openai-compat")
    assert (got.kind, got.retryable, got.status_code, got.retry_after) == (
        kind,
        retryable,
        status,
        retry_after,
    )
    assert "litellm" in got.detail.lower()  # the gateway's own envelope, relayed as the detail
    assert "sk-fake-upstream" not in got.detail + got.message  # the upstream key never shows


# The gateway ends a stream whose upstream broke off with its own finish_reason
# "stop" and [DONE]: the turn completes with the partial text, and nothing we
# receive says it was cut.
STREAM_BREAKS = [
    pytest.param("gw-truncated", id="truncated_stream_becomes_a_complete_answer"),
    pytest.param("gw-reset", id="reset_mid_body_becomes_a_complete_answer"),
    pytest.param("gw-reset-at-once", id="reset_before_any_text_becomes_an_empty_answer"),
]


@pytest.mark.parametrize("model", STREAM_BREAKS)
async def test_broken_streams_arrive_as_complete_ones(adapter: Adapter, model: str) -> None:
    result = await consume(adapter, turn(model=model))

    assert result.error is None
    assert [finish.finish_reason for finish in result.finishes] == ["stop"]
    assert token_text(3).startswith(result.text)
    assert len(result.text) < len(token_text(24))  # never the whole answer


async def test_a_healthy_stream_passes_through(adapter: Adapter) -> None:
    result = await consume(adapter, turn(model="gw-ok"))

    assert result.error is None
    assert result.text == token_text(FAULTS["gw-ok"]["tokens"])


async def test_the_gateway_made_one_upstream_request_per_call(
    gateway: tuple[LiteLLMProxy, Any], adapter: Adapter
) -> None:
    _, fake = gateway
    fake.reset()
    for model in ("gw-rate-limit", "gw-overloaded", "gw-disabled", "gw-reset"):
        await consume(adapter, turn(model=model))
    assert Counter(request["model"] for request in fake.requests()) == {
        "gw-rate-limit": 1,
        "gw-overloaded": 1,
        "gw-disabled": 1,
        "gw-reset": 1,
    }
