"""One way to ask each API through its real SDK, so every test can run over all three."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai

APIS = ("chat", "responses", "anthropic")

# Building a client loads the CA bundle (~50 ms); loopback is plain HTTP, so share one context.
_TLS = ssl.create_default_context()


def openai_client(base_url: str) -> openai.AsyncOpenAI:
    """An OpenAI client for the fake: no SDK retries, and no proxy from the environment."""
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key="sk-test-0123456789abcdef",
        max_retries=0,
        timeout=20,
        http_client=openai.DefaultAsyncHttpxClient(trust_env=False, verify=_TLS),
    )


def anthropic_client(base_url: str) -> anthropic.AsyncAnthropic:
    """An Anthropic client for the fake: no SDK retries, and no proxy from the environment."""
    return anthropic.AsyncAnthropic(
        base_url=base_url,
        api_key="sk-ant-test-0123456789",
        max_retries=0,
        timeout=20,
        http_client=anthropic.DefaultAsyncHttpxClient(trust_env=False, verify=_TLS),
    )


@dataclass
class Result:
    """What the SDK let the caller see."""

    text: str
    finish: str | None
    event_types: list[str] = field(default_factory=list)
    response_id: str | None = None
    usage: Any = None
    deltas: int = 0


async def stream(
    api: str,
    openai_client: openai.AsyncOpenAI,
    anthropic_client: anthropic.AsyncAnthropic,
    *,
    model: str = "fake-model",
    messages: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    previous_response_id: str | None = None,
    into: Result | None = None,
) -> Result:
    """Stream one answer, collecting deltas and the terminal signal ``into`` a Result.

    Pass ``into`` to keep what arrived before the SDK raised.
    """
    messages = messages or [{"role": "user", "content": "Hello there"}]
    extra = {"extra_headers": headers or {}}
    result = into if into is not None else Result("", None)
    if api == "chat":
        chunks = await openai_client.chat.completions.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
            **extra,
        )
        async for chunk in chunks:
            result.event_types.append(chunk.object)
            result.usage = chunk.usage or result.usage
            for choice in chunk.choices:
                result.deltas += bool(choice.delta.content)
                result.text += choice.delta.content or ""
                result.finish = choice.finish_reason or result.finish
        return result
    if api == "responses":
        options: dict[str, Any] = {}
        if previous_response_id is not None:
            options["previous_response_id"] = previous_response_id
        events = await openai_client.responses.create(
            model=model,
            input=messages,
            stream=True,
            **options,
            **extra,  # type: ignore[arg-type]
        )
        async for event in events:
            result.event_types.append(event.type)
            if event.type == "response.output_text.delta":
                result.deltas += 1
                result.text += event.delta
            elif event.type in {"response.completed", "response.incomplete", "response.failed"}:
                result.finish = event.response.status
                result.response_id = event.response.id
                result.usage = event.response.usage
        return result
    async with anthropic_client.messages.stream(
        model=model,
        max_tokens=1024,
        messages=messages,
        **extra,  # type: ignore[arg-type]
    ) as events:
        async for event in events:
            result.event_types.append(event.type)
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                result.deltas += 1
                result.text += event.delta.text
            elif event.type == "message_delta":
                result.finish = event.delta.stop_reason
                result.usage = event.usage
        return result


async def create(
    api: str,
    openai_client: openai.AsyncOpenAI,
    anthropic_client: anthropic.AsyncAnthropic,
    *,
    model: str = "fake-model",
    messages: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Result:
    """One non-streaming request."""
    messages = messages or [{"role": "user", "content": "Hello there"}]
    extra = {"extra_headers": headers or {}}
    if api == "chat":
        completion = await openai_client.chat.completions.create(
            model=model,
            messages=messages,
            **extra,  # type: ignore[arg-type]
        )
        choice = completion.choices[0]
        return Result(choice.message.content or "", choice.finish_reason, usage=completion.usage)
    if api == "responses":
        response = await openai_client.responses.create(model=model, input=messages, **extra)  # type: ignore[arg-type]
        return Result(
            response.output_text, response.status, response_id=response.id, usage=response.usage
        )
    message = await anthropic_client.messages.create(
        model=model,
        max_tokens=1024,
        messages=messages,
        **extra,  # type: ignore[arg-type]
    )
    text = "".join(block.text for block in message.content if block.type == "text")
    return Result(text, message.stop_reason, usage=message.usage)
