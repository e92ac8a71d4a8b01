"""Successful answers through the real SDKs: exact text, one delta per token, usage, finish."""

from __future__ import annotations

import pytest

from chatcore.fakeprovider import split_tokens, token_text
from tests.chatcore.fakeprovider.conftest import scenario
from tests.chatcore.fakeprovider.sdk import APIS, create, stream

FINISH = {"chat": "stop", "responses": "completed", "anthropic": "end_turn"}
REFUSAL = {"chat": "content_filter", "responses": "incomplete", "anthropic": "refusal"}


def output_tokens(api: str, usage: object) -> int:
    return int(getattr(usage, "completion_tokens" if api == "chat" else "output_tokens"))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "outcome, expected",
    [
        pytest.param({"kind": "ok"}, token_text(24), id="default_is_24_tokens"),
        pytest.param({"kind": "ok", "tokens": 1}, token_text(1), id="one_token"),
        pytest.param({"kind": "ok", "tokens": 0}, "", id="zero_tokens_is_an_empty_answer"),
        pytest.param({"kind": "ok", "tokens": 150}, token_text(150), id="paragraph_repeats"),
        pytest.param(
            {"kind": "ok", "text": "Two lines,\nexactly kept.\n"},
            "Two lines,\nexactly kept.\n",
            id="explicit_text_kept_byte_for_byte",
        ),
        pytest.param({"kind": "ok", "echo": True}, "Hello there", id="echo_answers_last_user"),
    ],
)
async def test_stream_yields_exact_text_one_delta_per_token(
    api, outcome, expected, fake, openai_client, anthropic_client
):
    result = await stream(api, openai_client, anthropic_client, headers=scenario(outcome))

    assert result.text == expected
    assert result.deltas == len(split_tokens(expected))
    assert result.finish == FINISH[api]
    assert output_tokens(api, result.usage) == result.deltas


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "outcome, expected",
    [
        pytest.param({"kind": "ok", "tokens": 7}, token_text(7), id="tokens"),
        pytest.param({"kind": "ok", "text": "Just this."}, "Just this.", id="explicit_text"),
        pytest.param({"kind": "ok", "echo": True}, "Hello there", id="echo"),
    ],
)
async def test_non_streaming_request_gets_the_whole_document(
    api, outcome, expected, fake, openai_client, anthropic_client
):
    result = await create(api, openai_client, anthropic_client, headers=scenario(outcome))

    assert (result.text, result.finish) == (expected, FINISH[api])
    assert output_tokens(api, result.usage) == len(split_tokens(expected))


@pytest.mark.parametrize("api", APIS)
async def test_demo_echo_selected_by_model_echoes_the_last_user_message(
    api, fake, openai_client, anthropic_client
):
    messages = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "the second, latest question"},
    ]
    result = await create(api, openai_client, anthropic_client, model="echo", messages=messages)

    assert result.text == "the second, latest question"


@pytest.mark.parametrize("api", APIS)
async def test_refusal_stops_with_the_providers_content_filter_signal(
    api, fake, openai_client, anthropic_client
):
    outcome = {"kind": "refusal", "after": 4}

    streamed = await stream(api, openai_client, anthropic_client, headers=scenario(outcome))
    document = await create(api, openai_client, anthropic_client, headers=scenario(outcome))

    assert (streamed.text, streamed.finish) == (token_text(4), REFUSAL[api])
    assert (document.text, document.finish) == (token_text(4), REFUSAL[api])


async def test_unknown_model_gets_a_default_answer(fake, openai_client, anthropic_client):
    result = await stream("chat", openai_client, anthropic_client, model="gpt-whatever")

    assert result.text == token_text(24)


async def test_models_route_lists_the_named_scenarios(fake, openai_client):
    models = [model.id async for model in openai_client.models.list()]

    assert "demo-flaky" in models
    assert models == sorted(models)
