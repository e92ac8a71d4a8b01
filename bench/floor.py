"""The floor the benchmarks compare against: the cheapest read of the same bytes.

The official SDK builds and sends the request exactly as our adapter does, but
its response is read raw (``with_streaming_response``): the SSE stream as text
lines, ``json.loads`` of each ``data:`` line, and the text delta picked out of
the dict. No SSE event objects, no typed chunk models, no error handling. Our
adapters do all of that work and more, so their ratio to this floor (floor time
/ our time) is the overhead they add, and it cannot exceed about 1.

``sdk_client(api, transport, ...)`` builds the raw SDK client on either HTTP
stack the SDKs support (``httpx``: their default httpx2; ``aiohttp``: their
``DefaultAioHttpClient``), so a floor and an adapter can share a transport.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import openai

__all__ = ["FLOORS", "sdk_client"]

MODEL = "bench-model"


def sdk_client(api: str, transport: str, *, base_url: str, api_key: str, timeout: float) -> Any:
    """A raw ``AsyncOpenAI`` / ``AsyncAnthropic`` on ``transport``, SDK retries off."""
    sdk: Any = anthropic if api == "anthropic" else openai
    options: dict[str, Any] = {
        "api_key": api_key,
        "base_url": base_url,
        "timeout": timeout,
        "max_retries": 0,
    }
    if transport == "aiohttp":
        options["http_client"] = sdk.DefaultAioHttpClient(timeout=timeout)
    client_class = anthropic.AsyncAnthropic if api == "anthropic" else openai.AsyncOpenAI
    return client_class(**options)


async def _data_lines(response: Any) -> Any:
    async for line in response.iter_lines():
        if line.startswith("data: ") and line != "data: [DONE]":
            yield json.loads(line[6:])


async def _chat(client: openai.AsyncOpenAI, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=headers,
    ) as response:
        async for chunk in _data_lines(response):
            choices = chunk.get("choices")
            if choices:
                text = choices[0]["delta"].get("content")
                if text:
                    texts.append(text)
    return texts


async def _responses(client: openai.AsyncOpenAI, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    async with client.responses.with_streaming_response.create(
        model=MODEL, input=[{"role": "user", "content": "go"}], stream=True, extra_headers=headers
    ) as response:
        async for event in _data_lines(response):
            if event.get("type") == "response.output_text.delta":
                texts.append(event["delta"])
    return texts


async def _anthropic(client: anthropic.AsyncAnthropic, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    async with client.messages.with_streaming_response.create(
        model=MODEL,
        max_tokens=4096,
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        extra_headers=headers,
    ) as response:
        async for event in _data_lines(response):
            if event.get("type") == "content_block_delta":
                delta = event["delta"]
                if delta.get("type") == "text_delta":
                    texts.append(delta["text"])
    return texts


# api -> floor read of one streamed turn, returning its text deltas in order.
FLOORS: dict[str, Callable[[Any, dict[str, str]], Awaitable[list[str]]]] = {
    "chat": _chat,
    "responses": _responses,
    "anthropic": _anthropic,
}
