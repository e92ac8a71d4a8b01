"""Errors raised for real by the `openai` and `anthropic` SDKs (and httpx) over loopback.

A local server answers with the providers' own error bodies and headers; the
real clients (max_retries=0) raise; the classifier reads what they raised.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import anthropic
import httpx
import httpx2
import openai
import pytest

from chatcore.errors import ClassifiedError, ErrorKind, classify
from tests.chatcore.errors.http_server import ScriptedServer, scripted_server
from tests.chatcore.errors.sdk_replies import (
    AZURE_RATE_LIMIT,
    FAKE_KEY,
    OPENAI_QUOTA,
    OPENAI_RATE_LIMIT,
    REPLIES,
)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with scripted_server(REPLIES) as running:
        yield running


def _openai_call(server: ScriptedServer, case: str, timeout: float = 10.0) -> BaseException:
    client = openai.OpenAI(
        api_key=FAKE_KEY, base_url=server.url(case), max_retries=0, timeout=timeout
    )
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    except Exception as exc:
        return exc
    finally:
        client.close()
    raise AssertionError("the openai client did not raise")


def _anthropic_call(server: ScriptedServer, case: str, *, stream: bool = False) -> BaseException:
    client = anthropic.Anthropic(api_key=FAKE_KEY, base_url=server.url(case), max_retries=0)
    try:
        if stream:
            with client.messages.stream(
                model="claude-test-model",
                max_tokens=16,
                messages=[{"role": "user", "content": "hi"}],
            ) as events:
                for _ in events:
                    pass
        else:
            client.messages.create(
                model="claude-test-model",
                max_tokens=16,
                messages=[{"role": "user", "content": "hi"}],
            )
    except Exception as exc:
        return exc
    finally:
        client.close()
    raise AssertionError("the anthropic client did not raise")


@dataclass(frozen=True)
class Expect:
    kind: ErrorKind
    retryable: bool
    status: int
    detail: str
    retry_after: float = 0.0


SDK_CASES: list[tuple[str, str, str, Expect]] = [
    # (id, sdk, case, expectation)
    ("openai_401_invalid_key_is_auth_and_key_redacted", "openai", "oa401", Expect(
        ErrorKind.AUTH, False, 401,
        "Incorrect API key provided: [REDACTED]. You can find your API key at "
        "https://platform.openai.com/account/api-keys.")),
    ("openai_403_region_is_auth", "openai", "oa403", Expect(
        ErrorKind.AUTH, False, 403, "Country, region, or territory not supported")),
    ("openai_404_model_not_found_is_config", "openai", "oa404", Expect(
        ErrorKind.CONFIG, False, 404,
        "The model `gpt-9` does not exist or you do not have access to it.")),
    ("openai_429_rate_limit_ms_header_wins", "openai", "oa429", Expect(
        ErrorKind.RATE_LIMIT, True, 429, OPENAI_RATE_LIMIT, 1.85)),
    ("openai_429_insufficient_quota_is_usage_limit", "openai", "oa429quota", Expect(
        ErrorKind.USAGE_LIMIT, False, 429, OPENAI_QUOTA)),
    ("openai_400_context_length", "openai", "oa400context", Expect(
        ErrorKind.CONTEXT_LENGTH, False, 400,
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130412 tokens. Please reduce the length of the messages.")),
    ("openai_500_server_error_retries", "openai", "oa500", Expect(
        ErrorKind.GENERIC, True, 500,
        "The server had an error while processing your request. Sorry about that!")),
    ("openai_503_engine_overloaded", "openai", "oa503", Expect(
        ErrorKind.OVERLOADED, True, 503,
        "The engine is currently overloaded, please try again later.")),
    ("openai_502_plain_text_body_is_the_detail", "openai", "oa502text", Expect(
        ErrorKind.TIMEOUT, True, 502, "Bad Gateway")),
    ("gemini_503_unavailable_list_body", "openai", "gemini503", Expect(
        ErrorKind.TIMEOUT, True, 503, "The service is currently unavailable.")),
    ("azure_429_token_rate_limit_is_not_quota", "openai", "azure429", Expect(
        ErrorKind.RATE_LIMIT, True, 429, AZURE_RATE_LIMIT, 6.0)),
    ("azure_404_deployment_not_found_is_config", "openai", "azure404", Expect(
        ErrorKind.CONFIG, False, 404,
        "The API deployment for this resource does not exist. If you created the deployment "
        "within the last 5 minutes, please wait a moment and try again.")),
    ("openrouter_402_credits_is_usage_limit", "openai", "openrouter402", Expect(
        ErrorKind.USAGE_LIMIT, False, 402,
        "Insufficient credits. Add more using https://openrouter.ai/settings/credits")),
    ("ollama_404_model_not_pulled_is_config", "openai", "ollama404", Expect(
        ErrorKind.CONFIG, False, 404, 'model "llama3.2" not found, try pulling it first')),
    ("vllm_400_top_level_message_context", "openai", "vllm400", Expect(
        ErrorKind.CONTEXT_LENGTH, False, 400,
        "This model's maximum context length is 4096 tokens. However, you requested 5000 "
        "tokens (4000 in the messages, 1000 in the completion). Please reduce the length of "
        "the messages or completion.")),
    ("anthropic_401_authentication_error", "anthropic", "an401", Expect(
        ErrorKind.AUTH, False, 401, "invalid x-api-key")),
    ("anthropic_403_permission_error", "anthropic", "an403", Expect(
        ErrorKind.AUTH, False, 403,
        "Your API key does not have permission to use the specified resource.")),
    ("anthropic_404_model_is_config", "anthropic", "an404", Expect(
        ErrorKind.CONFIG, False, 404, "model: claude-opus-9-20990101")),
    ("anthropic_429_retry_after_seconds", "anthropic", "an429", Expect(
        ErrorKind.RATE_LIMIT, True, 429,
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.", 12.0)),
    ("anthropic_500_api_error_retries", "anthropic", "an500", Expect(
        ErrorKind.GENERIC, True, 500, "Internal server error")),
    ("anthropic_503_plain_text_body_is_timeout", "anthropic", "an503", Expect(
        ErrorKind.TIMEOUT, True, 503,
        "upstream connect error or disconnect/reset before headers. reset reason: overflow")),
    ("anthropic_529_overloaded", "anthropic", "an529", Expect(
        ErrorKind.OVERLOADED, True, 529, "Overloaded")),
    ("anthropic_400_credit_balance_is_usage_limit", "anthropic", "an400billing", Expect(
        ErrorKind.USAGE_LIMIT, False, 400,
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits.")),
    ("anthropic_400_prompt_too_long", "anthropic", "an400long", Expect(
        ErrorKind.CONTEXT_LENGTH, False, 400, "prompt is too long: 215000 tokens > 200000 maximum")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sdk", "case", "expect"), [c[1:] for c in SDK_CASES], ids=[c[0] for c in SDK_CASES]
)
def test_sdk_status_errors(server: ScriptedServer, sdk: str, case: str, expect: Expect) -> None:
    raised = _openai_call(server, case) if sdk == "openai" else _anthropic_call(server, case)
    assert isinstance(raised, openai.APIStatusError | anthropic.APIStatusError)
    got = classify(raised)
    assert (got.kind, got.retryable, got.status_code, got.detail) == (
        expect.kind, expect.retryable, expect.status, expect.detail,
    )  # fmt: skip
    assert got.retry_after == pytest.approx(expect.retry_after)
    assert FAKE_KEY not in got.message + got.detail


def test_sdk_error_whole_value_with_provider_hint(server: ScriptedServer) -> None:
    got = classify(_anthropic_call(server, "an529"), provider="anthropic")
    assert got == ClassifiedError(
        kind=ErrorKind.OVERLOADED,
        message="Anthropic is overloaded and could not answer. Send the message again later.",
        detail="Overloaded",
        provider="anthropic",
        retryable=True,
        status_code=529,
    )


def test_anthropic_in_stream_error_event_on_a_200(server: ScriptedServer) -> None:
    """The SDK raises a status error of the 200 response: the body type decides the kind,
    and the status stays the 200 that was received."""
    raised = _anthropic_call(server, "an200stream", stream=True)
    got = classify(raised)
    assert (got.kind, got.retryable, got.status_code, got.detail) == (
        ErrorKind.OVERLOADED, True, 200, "Overloaded",
    )  # fmt: skip


def test_wrapped_sdk_error_is_found_in_the_chain(server: ScriptedServer) -> None:
    raised = _openai_call(server, "oa429quota")
    try:
        raise RuntimeError("turn failed") from raised
    except RuntimeError as outer:
        got = classify(outer, provider="openai")
    assert (got.kind, got.status_code, got.provider) == (ErrorKind.USAGE_LIMIT, 429, "openai")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TransportCall = Callable[[ScriptedServer], BaseException]


def _openai_refused(_: ScriptedServer) -> BaseException:
    client = openai.OpenAI(
        api_key=FAKE_KEY, base_url=f"http://127.0.0.1:{_closed_port()}/v1", max_retries=0
    )
    try:
        client.models.list()
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def _openai_read_timeout(server: ScriptedServer) -> BaseException:
    return _openai_call(server, "slow", timeout=0.2)


def _openai_dropped_body(server: ScriptedServer) -> BaseException:
    return _openai_call(server, "drop")


def _httpx_connect_error(_: ScriptedServer) -> BaseException:
    try:
        httpx.get(f"http://127.0.0.1:{_closed_port()}/")
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def _httpx2_read_timeout(server: ScriptedServer) -> BaseException:
    try:
        httpx2.get(server.url("slow"), timeout=0.2)
    except Exception as exc:
        return exc
    raise AssertionError("no error")


TRANSPORT_CASES: list[tuple[str, TransportCall, type[BaseException]]] = [
    ("openai_connection_refused", _openai_refused, openai.APIConnectionError),
    ("openai_read_timeout_is_the_providers", _openai_read_timeout, openai.APITimeoutError),
    ("openai_peer_closed_mid_body", _openai_dropped_body, openai.APIConnectionError),
    ("httpx_connect_error", _httpx_connect_error, httpx.ConnectError),
    ("httpx2_read_timeout", _httpx2_read_timeout, httpx2.ReadTimeout),
]


@pytest.mark.parametrize(
    ("call", "raised_type"), [c[1:] for c in TRANSPORT_CASES], ids=[c[0] for c in TRANSPORT_CASES]
)
def test_real_transport_failures_retry_as_timeout(
    server: ScriptedServer, call: TransportCall, raised_type: type[BaseException]
) -> None:
    raised = call(server)
    assert isinstance(raised, raised_type)
    got = classify(raised)
    assert (got.kind, got.retryable) == (ErrorKind.TIMEOUT, True)


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_httpx_status_error_reads_response(server: ScriptedServer, module: object) -> None:
    response = module.get(server.url("an529"))  # type: ignore[attr-defined]
    try:
        response.raise_for_status()
    except Exception as exc:
        got = classify(exc)
    assert (got.kind, got.status_code, got.detail, got.retryable) == (
        ErrorKind.OVERLOADED, 529, "Overloaded", True,
    )  # fmt: skip
