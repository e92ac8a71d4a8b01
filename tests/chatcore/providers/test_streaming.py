"""Successful turns through every adapter: the exact text, one Finish, and what was sent."""

from __future__ import annotations

import re

import pytest

from chatcore.fakeprovider import token_text
from chatcore.providers import Finish, Message, TextDelta, TurnRequest, Usage
from chatcore.providers.anthropic_messages import DEFAULT_MAX_TOKENS
from tests.chatcore.providers.conftest import (
    ANTHROPIC,
    APIS,
    CHAT,
    COMPAT,
    MODEL,
    PROMPT,
    RESPONSES,
    Api,
    consume,
    turn,
)
from tests.fakeserver import FakeProviderServer

API_IDS = [api.name for api in APIS]
PROMPT_WORDS = len(PROMPT.split())

# What each API reports as its finish reason and how its response ids look.
FINISH_REASON = {"chat": "stop", "responses": "stop", "anthropic": "end_turn", "compat": "stop"}
RESPONSE_ID = {
    "chat": re.compile(r"chatcmpl-\w+"),
    "responses": re.compile(r"resp_\w+"),
    "anthropic": re.compile(r"msg_\w+"),
    "compat": re.compile(r"chatcmpl-\w+"),
}


def _assert_complete(api: Api, parts: list[object], text: str, output_tokens: int) -> Finish:
    """Text deltas that join to ``text``, then exactly one Finish, last."""
    *deltas, finish = parts
    assert all(isinstance(d, TextDelta) and d.text for d in deltas)
    assert "".join(d.text for d in deltas) == text  # type: ignore[attr-defined]
    assert isinstance(finish, Finish)
    assert finish.finish_reason == FINISH_REASON[api.name]
    assert finish.usage == Usage(PROMPT_WORDS, output_tokens)
    assert finish.response_id is not None
    assert RESPONSE_ID[api.name].fullmatch(finish.response_id)
    return finish


@pytest.mark.parametrize("tokens", [1, 24, 300], ids=["one_token", "default", "long"])
@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_the_whole_answer_arrives_token_by_token(api: Api, tokens: int, make_adapter) -> None:
    result = await consume(make_adapter(api), turn({"kind": "ok", "tokens": tokens}))

    assert result.error is None
    assert len(result.parts) == tokens + 1
    _assert_complete(api, result.parts, token_text(tokens), tokens)


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_explicit_text_survives_unicode_and_newlines(api: Api, make_adapter) -> None:
    text = "Grüße 👋\n\n```py\nprint('ok')\n```\n  trailing  "

    result = await consume(make_adapter(api), turn({"kind": "ok", "text": text}))

    assert result.error is None
    assert result.text == text
    assert isinstance(result.parts[-1], Finish)


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_first_chunk_delayed_within_the_timeout_is_just_slow(
    api: Api, make_adapter
) -> None:
    slow = {"kind": "ok", "tokens": 6, "delay": 0.3}

    result = await consume(make_adapter(api, timeout=2.0), turn(slow))

    assert result.error is None
    assert result.text == token_text(6)


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_one_adapter_serves_turn_after_turn(api: Api, make_adapter) -> None:
    adapter = make_adapter(api)

    first = await consume(adapter, turn({"kind": "ok", "echo": True}, text="first question"))
    second = await consume(adapter, turn({"kind": "ok", "echo": True}, text="second question"))

    assert (first.text, second.text) == ("first question", "second question")
    assert first.finishes[0].response_id != second.finishes[0].response_id


HISTORY = (
    Message("system", "Be brief."),
    Message("user", "hi"),
    Message("assistant", "hello"),
    Message("user", "again"),
)
AS_MESSAGES = [{"role": m.role, "content": m.content} for m in HISTORY]

# (api, body fields the provider must receive for HISTORY with max_output_tokens=50)
SENT = [
    pytest.param(
        CHAT,
        {
            "messages": AS_MESSAGES,
            "max_completion_tokens": 50,
            "stream_options": {"include_usage": True},
        },
        id="chat_uses_max_completion_tokens",
    ),
    pytest.param(
        COMPAT,
        {"messages": AS_MESSAGES, "max_tokens": 50, "stream_options": {"include_usage": True}},
        id="compatible_servers_get_the_classic_max_tokens",
    ),
    pytest.param(
        RESPONSES,
        {"input": AS_MESSAGES, "max_output_tokens": 50},
        id="responses_sends_input_items",
    ),
    pytest.param(
        ANTHROPIC,
        {"system": "Be brief.", "messages": AS_MESSAGES[1:], "max_tokens": 50},
        id="anthropic_moves_system_prompts_out_of_the_messages",
    ),
]


@pytest.mark.parametrize(("api", "fields"), SENT)
async def test_the_request_in_each_providers_shape(
    api: Api, fields: dict[str, object], fake: FakeProviderServer, make_adapter
) -> None:
    request = TurnRequest(
        model=MODEL,
        messages=HISTORY,
        max_output_tokens=50,
        extra_headers={"X-Trace": "turn-7"},
    )

    result = await consume(make_adapter(api), request)

    assert result.error is None
    (sent,) = fake.requests()
    assert sent["body"]["model"] == MODEL
    assert sent["body"]["stream"] is True
    assert {name: sent["body"].get(name) for name in fields} == fields
    assert sent["headers"]["x-trace"] == "turn-7"
    assert sent["headers"]["x-stainless-retry-count"] == "0"


async def test_anthropic_gets_a_default_max_tokens_it_requires(
    fake: FakeProviderServer, make_adapter
) -> None:
    await consume(make_adapter(ANTHROPIC), turn())

    (sent,) = fake.requests()
    assert sent["body"]["max_tokens"] == DEFAULT_MAX_TOKENS
    assert "system" not in sent["body"]


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_paced_stream_arrives_whole(api: Api, make_adapter) -> None:
    paced = {"kind": "ok", "tokens": 10, "rate": 200}

    result = await consume(make_adapter(api), turn(paced))

    _assert_complete(api, result.parts, token_text(10), 10)
