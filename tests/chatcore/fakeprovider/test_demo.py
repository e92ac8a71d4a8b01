"""The demo scenarios, selected by model name, with the server's sleeps recorded instead of waited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anthropic
import httpx2
import openai
import pytest

from chatcore.fakeprovider import (
    DEMO_ANSWER,
    DEMO_RATE,
    ECHO_SHOWCASE,
    SCENARIOS,
    create_app,
    split_tokens,
)
from tests.chatcore.fakeprovider import sdk
from tests.chatcore.fakeprovider.sdk import APIS, Result, create, stream
from tests.fakeserver import FakeProviderServer

PARAGRAPH = DEMO_ANSWER
TOKENS = len(split_tokens(DEMO_ANSWER))


class Recorder:
    """An instant ``sleep`` that remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def demo_server(recorder: Recorder):
    with FakeProviderServer(app=create_app(sleep=recorder)) as server:
        yield server


@pytest.fixture
async def clients(
    demo_server, recorder
) -> AsyncIterator[tuple[openai.AsyncOpenAI, anthropic.AsyncAnthropic]]:
    demo_server.reset()
    recorder.sleeps.clear()
    oc = sdk.openai_client(demo_server.openai_base_url)
    ac = sdk.anthropic_client(demo_server.anthropic_base_url)
    async with oc, ac:
        yield oc, ac


def status_error(api: str) -> type[Exception]:
    return anthropic.APIStatusError if api == "anthropic" else openai.APIStatusError


def test_demo_answer_shows_markdown_and_a_code_block():
    assert PARAGRAPH.startswith("Hello!")
    assert "```python\n" in PARAGRAPH and "| model |" in PARAGRAPH and "\n1. " in PARAGRAPH
    assert "```python\n" in ECHO_SHOWCASE
    assert 80 <= TOKENS <= 250, "a demo answer streams in a few seconds"
    assert 25 <= DEMO_RATE <= 40


def test_every_demo_scenario_of_the_spec_exists():
    assert set(SCENARIOS) == {
        "echo",
        "demo-echo",
        "demo-flaky",
        "demo-overloaded",
        "demo-fallback",
        "demo-truncated",
        "demo-slow-start",
        "demo-auth",
        "demo-quota",
        "demo-disabled",
        "demo-context",
        "demo-down",
        "demo-outage",
        "demo-key-limit",
    }


@pytest.mark.parametrize("api", APIS)
async def test_demo_flaky_is_429_with_retry_after_3_then_the_paragraph_paced(
    api, clients, recorder
):
    with pytest.raises(status_error(api)) as caught:
        await stream(api, *clients, model="demo-flaky")
    result = await stream(api, *clients, model="demo-flaky")

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "3"
    assert result.text == PARAGRAPH
    # Paced on an absolute schedule: the last token is due (N-1)/rate after the first.
    assert max(recorder.sleeps) == pytest.approx((TOKENS - 1) / DEMO_RATE, abs=0.5)


@pytest.mark.parametrize("api", APIS)
async def test_demo_overloaded_is_529_twice_then_ok(api, clients):
    statuses = []
    for _ in range(2):
        with pytest.raises(status_error(api)) as caught:
            await create(api, *clients, model="demo-overloaded")
        statuses.append(caught.value.status_code)
    result = await create(api, *clients, model="demo-overloaded")

    assert statuses == [529, 529]
    assert result.text == PARAGRAPH


@pytest.mark.parametrize("api", APIS)
async def test_demo_fallback_is_529_on_every_attempt(api, clients):
    statuses = []
    for _ in range(4):
        with pytest.raises(status_error(api)) as caught:
            await create(api, *clients, model="demo-fallback")
        statuses.append(caught.value.status_code)
    assert statuses == [529] * 4


@pytest.mark.parametrize("api", APIS)
async def test_demo_truncated_cuts_after_20_tokens_once(api, clients):
    first = await stream(api, *clients, model="demo-truncated")
    second = await stream(api, *clients, model="demo-truncated")

    assert (first.text, first.finish) == ("".join(split_tokens(PARAGRAPH)[:20]), None)
    assert second.text == PARAGRAPH and second.finish is not None


@pytest.mark.parametrize("api", APIS)
async def test_demo_slow_start_delays_the_first_chunk_8s_once(api, clients, recorder):
    first = await stream(api, *clients, model="demo-slow-start")
    first_sleeps = list(recorder.sleeps)
    recorder.sleeps.clear()
    second = await stream(api, *clients, model="demo-slow-start")

    assert first.text == second.text == PARAGRAPH
    assert first_sleeps[0] == 8
    assert 8 not in recorder.sleeps


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "model, status, signal",
    [
        pytest.param("demo-auth", 401, "invalid", id="auth"),
        pytest.param("demo-quota", {"anthropic": 400}, "quota|credit balance", id="quota"),
        pytest.param("demo-disabled", 503, "provider_disabled", id="disabled"),
        pytest.param("demo-context", 400, "context|too long", id="context"),
    ],
)
async def test_demo_terminal_errors_repeat_every_time(api, model, status, signal, clients):
    expected = status.get(api, 429) if isinstance(status, dict) else status
    for _ in range(3):
        with pytest.raises(status_error(api)) as caught:
            await create(api, *clients, model=model)
        assert caught.value.status_code == expected
        assert caught.value.body is not None
        assert any(word in str(caught.value.body) for word in signal.split("|"))


@pytest.mark.parametrize("api", APIS)
async def test_demo_down_resets_the_connection_every_time(api, clients):
    for _ in range(3):
        partial = Result("", None)
        with pytest.raises(Exception) as caught:  # the SDK class varies; the cause does not
            await stream(api, *clients, model="demo-down", into=partial)
        causes = []
        error: BaseException | None = caught.value
        while error is not None:
            causes.append(error)
            error = error.__cause__ or error.__context__
        assert any(isinstance(cause, httpx2.RemoteProtocolError) for cause in causes)
        assert partial.text == ""


@pytest.mark.parametrize("api", APIS)
async def test_echo_streams_the_users_words_back(api, clients):
    said = [{"role": "user", "content": "Is anybody out there?"}]

    result = await stream(api, *clients, model="echo", messages=said)

    assert result.text == "Is anybody out there?"
    assert result.deltas == 4


@pytest.mark.parametrize("api", APIS)
async def test_demo_echo_adds_some_markdown_after_the_users_words(api, clients):
    said = [{"role": "user", "content": "Show me a Python function"}]

    result = await stream(api, *clients, model="demo-echo", messages=said)

    assert result.text == "Show me a Python function" + ECHO_SHOWCASE
