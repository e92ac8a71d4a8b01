"""The raw bytes on the wire, read with a plain HTTP client: framing, order, ids, sequence numbers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from chatcore.fakeprovider import token_text, tokens_for
from tests.chatcore.fakeprovider.conftest import scenario

BODIES = {
    "chat": (
        "/openai/v1/chat/completions",
        {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    ),
    "responses": ("/openai/v1/responses", {"model": "m", "input": "hi"}),
    "anthropic": (
        "/anthropic/v1/messages",
        {"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "hi"}]},
    ),
}


async def raw_stream(fake, api: str, *, outcome: dict[str, Any] | None = None, **extra: Any):
    path, body = BODIES[api]
    headers = scenario(outcome) if outcome else {}
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        reply = await client.post(
            fake.base_url + path, json={**body, "stream": True, **extra}, headers=headers
        )
    return reply


def events(raw: str) -> list[tuple[str | None, str]]:
    """(event name, data) pairs; every frame ends with a blank line."""
    assert raw.endswith("\n\n")
    parsed = []
    for frame in raw[:-2].split("\n\n"):
        lines = frame.split("\n")
        name = lines[0].removeprefix("event: ") if lines[0].startswith("event: ") else None
        data = lines[-1]
        assert data.startswith("data: ") and len(lines) == (2 if name else 1), frame
        parsed.append((name, data.removeprefix("data: ")))
    return parsed


async def test_chat_completions_stream_format(fake):
    reply = await raw_stream(fake, "chat", outcome={"kind": "ok", "tokens": 3})

    assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert reply.headers["x-request-id"].startswith("req_")
    frames = events(reply.text)
    assert all(name is None for name, _ in frames)
    assert frames[-1][1] == "[DONE]"
    chunks = [json.loads(data) for _, data in frames[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert [chunk["choices"][0]["delta"]["content"] for chunk in chunks[1:4]] == tokens_for(3)
    assert chunks[-1]["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    ]
    assert all("usage" not in chunk for chunk in chunks)


async def test_chat_completions_usage_chunk_when_asked(fake):
    reply = await raw_stream(
        fake, "chat", outcome={"kind": "ok", "tokens": 2}, stream_options={"include_usage": True}
    )

    chunks = [json.loads(data) for _, data in events(reply.text)[:-1]]
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 2
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    "outcome, last",
    [
        pytest.param({"kind": "truncate", "after": 2}, tokens_for(2)[-1], id="truncate"),
        pytest.param({"kind": "stream_error", "after": 2}, "error", id="stream_error"),
    ],
)
async def test_chat_completions_broken_streams_never_finish(fake, outcome, last):
    reply = await raw_stream(fake, "chat", outcome=outcome)

    frames = [json.loads(data) for _, data in events(reply.text)]
    assert all(
        choice["finish_reason"] is None for frame in frames for choice in frame.get("choices", [])
    )
    final = frames[-1]
    assert (final["choices"][0]["delta"]["content"] if "choices" in final else "error") == last
    if "error" in final:
        assert set(final["error"]) == {"message", "type", "param", "code"}


async def test_responses_stream_format(fake):
    reply = await raw_stream(fake, "responses", outcome={"kind": "ok", "tokens": 3})

    frames = events(reply.text)
    payloads = [json.loads(data) for _, data in frames]
    assert [name for name, _ in frames] == [payload["type"] for payload in payloads]
    assert [name for name, _ in frames] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [payload["sequence_number"] for payload in payloads] == list(range(len(payloads)))
    created, completed = payloads[0]["response"], payloads[-1]["response"]
    assert created["id"] == completed["id"] and created["id"].startswith("resp_")
    assert (created["status"], completed["status"]) == ("in_progress", "completed")
    item_ids = {payload["item_id"] for payload in payloads if "item_id" in payload}
    assert len(item_ids) == 1 and item_ids.pop().startswith("msg_")
    assert completed["output"][0]["content"][0]["text"] == token_text(3)
    assert completed["usage"]["output_tokens"] == 3


async def test_responses_error_event_shape(fake):
    reply = await raw_stream(
        fake,
        "responses",
        outcome={"kind": "stream_error", "after": 1, "event": "error", "error": "rate_limit"},
    )

    name, data = events(reply.text)[-1]
    error = json.loads(data)
    assert name == "error"
    assert (error["type"], error["code"]) == ("error", "rate_limit_exceeded")
    assert set(error) == {"type", "sequence_number", "code", "message", "param"}


async def test_anthropic_stream_format(fake):
    reply = await raw_stream(fake, "anthropic", outcome={"kind": "ok", "tokens": 2})

    assert reply.headers["request-id"].startswith("req_")
    frames = events(reply.text)
    payloads = [json.loads(data) for _, data in frames]
    assert [name for name, _ in frames] == [payload["type"] for payload in payloads]
    assert [name for name, _ in frames] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert payloads[0]["message"]["id"].startswith("msg_")
    assert [payload["delta"] for payload in payloads[3:5]] == [
        {"type": "text_delta", "text": token} for token in tokens_for(2)
    ]
    assert payloads[6]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert payloads[6]["usage"] == {"output_tokens": 2}


async def test_anthropic_in_stream_error_is_an_error_event(fake):
    reply = await raw_stream(fake, "anthropic", outcome={"kind": "stream_error", "after": 1})

    name, data = events(reply.text)[-1]
    assert name == "error"
    body = json.loads(data)
    assert body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert "message_stop" not in reply.text


async def test_anthropic_truncation_has_no_message_stop(fake):
    reply = await raw_stream(fake, "anthropic", outcome={"kind": "truncate", "after": 3})

    names = [name for name, _ in events(reply.text)]
    assert names[-1] == "content_block_delta"
    assert "message_stop" not in names and "message_delta" not in names
