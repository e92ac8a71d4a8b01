"""The SDKs' own stream accumulators (the strictest readers of the event sequence) accept the fake."""

from __future__ import annotations

import pytest

from chatcore.fakeprovider import token_text
from tests.chatcore.fakeprovider.conftest import USER, scenario

TOKENS = scenario({"kind": "ok", "tokens": 30})


async def test_openai_responses_stream_helper_builds_the_final_response(fake, openai_client):
    async with openai_client.responses.stream(
        model="m", input=USER, extra_headers=TOKENS
    ) as events:
        deltas = [
            event.delta async for event in events if event.type == "response.output_text.delta"
        ]
        final = await events.get_final_response()

    assert "".join(deltas) == final.output_text == token_text(30)
    assert final.status == "completed" and final.id.startswith("resp_")
    assert final.usage is not None and final.usage.output_tokens == 30


async def test_openai_chat_stream_helper_builds_the_final_completion(fake, openai_client):
    async with openai_client.chat.completions.stream(
        model="m", messages=USER, extra_headers=TOKENS, stream_options={"include_usage": True}
    ) as events:
        pieces = [event.delta async for event in events if event.type == "content.delta"]
        final = await events.get_final_completion()

    assert "".join(pieces) == final.choices[0].message.content == token_text(30)
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.completion_tokens == 30


async def test_anthropic_messages_stream_helper_builds_the_final_message(fake, anthropic_client):
    async with anthropic_client.messages.stream(
        model="m", max_tokens=64, messages=USER, extra_headers=TOKENS
    ) as events:
        text = "".join([piece async for piece in events.text_stream])
        final = await events.get_final_message()

    assert text == final.content[0].text == token_text(30)
    assert (final.stop_reason, final.usage.output_tokens) == ("end_turn", 30)


@pytest.mark.parametrize("tokens", [0, 1])
async def test_helpers_accept_the_smallest_answers(tokens, fake, openai_client, anthropic_client):
    headers = scenario({"kind": "ok", "tokens": tokens})
    async with openai_client.responses.stream(
        model="m", input=USER, extra_headers=headers
    ) as events:
        response = await events.get_final_response()
    async with anthropic_client.messages.stream(
        model="m", max_tokens=8, messages=USER, extra_headers=headers
    ) as events:
        message = await events.get_final_message()

    assert response.output_text == message.content[0].text == token_text(tokens)
