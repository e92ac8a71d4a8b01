"""Streams that go wrong after K tokens, as each SDK sees them: truncation, errors, resets, delays."""

from __future__ import annotations

import time

import anthropic
import httpx2
import openai
import pytest

from chatcore.fakeprovider import token_text
from tests.chatcore.fakeprovider.conftest import scenario
from tests.chatcore.fakeprovider.sdk import APIS, Result, create, stream

TERMINAL = {"chat": None, "responses": "response.completed", "anthropic": "message_stop"}


def chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("after", [0, 1, 20])
async def test_truncate_ends_cleanly_without_the_terminal_event(
    api, after, fake, openai_client, anthropic_client
):
    outcome = {"kind": "truncate", "after": after, "tokens": 40}

    result = await stream(api, openai_client, anthropic_client, headers=scenario(outcome))

    assert (result.text, result.deltas, result.finish) == (token_text(after), after, None)
    if TERMINAL[api] is not None:
        assert TERMINAL[api] not in result.event_types


@pytest.mark.parametrize("api", APIS)
async def test_truncated_document_is_half_a_json_body(api, fake, openai_client, anthropic_client):
    with pytest.raises(ValueError, match="line 1 column"):
        await create(api, openai_client, anthropic_client, headers=scenario({"kind": "truncate"}))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "document"])
async def test_reset_drops_the_connection_mid_body(
    api, streaming, fake, openai_client, anthropic_client
):
    partial = Result("", None)
    outcome = {"kind": "reset", "after": 5}
    with pytest.raises(Exception) as caught:  # the SDK class varies; the cause does not
        if streaming:
            await stream(
                api, openai_client, anthropic_client, headers=scenario(outcome), into=partial
            )
        else:
            await create(api, openai_client, anthropic_client, headers=scenario(outcome))

    causes = [
        error for error in chain(caught.value) if isinstance(error, httpx2.RemoteProtocolError)
    ]
    assert causes, f"no RemoteProtocolError in {chain(caught.value)!r}"
    assert "peer closed connection without sending complete message body" in str(causes[0])
    assert partial.text == (token_text(5) if streaming else "")


async def test_in_stream_error_chat_is_an_error_object_in_a_data_line(
    fake, openai_client, anthropic_client
):
    partial = Result("", None)
    outcome = {"kind": "stream_error", "after": 3, "error": "rate_limit"}
    with pytest.raises(openai.APIError) as caught:
        await stream(
            "chat", openai_client, anthropic_client, headers=scenario(outcome), into=partial
        )

    assert partial.text == token_text(3)
    assert caught.value.body["code"] == "rate_limit_exceeded"
    assert caught.value.message.startswith("Rate limit reached")


async def test_in_stream_error_anthropic_is_an_overloaded_error_event(
    fake, openai_client, anthropic_client
):
    partial = Result("", None)
    with pytest.raises(anthropic.APIStatusError) as caught:
        await stream(
            "anthropic",
            openai_client,
            anthropic_client,
            headers=scenario({"kind": "stream_error", "after": 3}),
            into=partial,
        )

    assert partial.text == token_text(3)
    assert caught.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert caught.value.body["request_id"].startswith("req_")


@pytest.mark.parametrize(
    "event, last_type", [("failed", "response.failed"), ("error", "error")], ids=["failed", "error"]
)
async def test_in_stream_error_responses_ends_with_failed_or_error_event(
    event, last_type, fake, openai_client, anthropic_client
):
    outcome = {"kind": "stream_error", "after": 2, "event": event, "message": "boom"}

    result = await stream("responses", openai_client, anthropic_client, headers=scenario(outcome))

    assert result.text == token_text(2)
    assert result.event_types[-1] == last_type
    assert "response.completed" not in result.event_types


async def test_response_failed_carries_code_and_message(fake, openai_client):
    outcome = {"kind": "stream_error", "after": 1}
    events = await openai_client.responses.create(
        model="m", input="hi", stream=True, extra_headers=scenario(outcome)
    )
    failed = [event async for event in events][-1]

    assert failed.type == "response.failed"
    assert failed.response.status == "failed"
    assert failed.response.error.code == "server_error"
    assert "The server had an error" in failed.response.error.message


@pytest.mark.parametrize("api", APIS)
async def test_stream_error_on_a_document_request_is_the_http_error(
    api, fake, openai_client, anthropic_client
):
    error_class = anthropic.APIStatusError if api == "anthropic" else openai.APIStatusError
    with pytest.raises(error_class) as caught:
        await create(
            api,
            openai_client,
            anthropic_client,
            headers=scenario({"kind": "stream_error", "error": "overloaded"}),
        )

    assert caught.value.status_code == 529


@pytest.mark.parametrize("api", APIS)
async def test_delay_holds_the_first_event_after_the_headers(
    api, fake, openai_client, anthropic_client
):
    # Headers arrive at once (the SDK call returns); only the body waits.
    headers = scenario({"kind": "ok", "tokens": 2, "delay": 1.0})
    start = time.monotonic()
    if api == "anthropic":
        manager = anthropic_client.messages.stream(
            model="m",
            max_tokens=5,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers=headers,
        )
        events = await manager.__aenter__()
    elif api == "chat":
        events = await openai_client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers=headers,
        )
    else:
        events = await openai_client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        )
    opened = time.monotonic() - start
    await anext(aiter(events))
    first = time.monotonic() - start
    if api == "anthropic":
        await manager.__aexit__(None, None, None)
    else:
        await events.close()

    assert opened < 0.8
    assert first >= 1.0


@pytest.mark.parametrize("api", APIS)
async def test_rate_paces_tokens(api, fake, openai_client, anthropic_client):
    headers = scenario({"kind": "ok", "tokens": 9, "rate": 40})
    start = time.monotonic()

    result = await stream(api, openai_client, anthropic_client, headers=headers)

    elapsed = time.monotonic() - start
    assert result.text == token_text(9)
    assert 8 / 40 <= elapsed < 3
