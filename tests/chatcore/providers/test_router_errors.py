"""Errors inside a 200 stream in the shapes OpenAI-compatible routers send, end to end.

The fake provider writes the router's own chunk (``stream_error`` with a
``body``); the real OpenAI SDK reads it through our Chat Completions adapter,
which raises a `ProviderError` carrying the 200 it came in and the chunk as its
body. The classifier takes the kind from the inner code.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatcore.errors import ErrorKind, ProviderError, classify
from chatcore.fakeprovider import token_text
from tests.chatcore.providers.conftest import CHAT, COMPAT, Api, consume, turn

ROUTED = [CHAT, COMPAT]
ROUTED_IDS = [api.name for api in ROUTED]


def choice_error(error: dict[str, Any] | None, *, finish: str | None = "error") -> dict[str, Any]:
    """An OpenRouter-style chunk: the choice carries the upstream's error and ends with it."""
    choice: dict[str, Any] = {"index": 0, "delta": {"content": ""}, "finish_reason": finish}
    if error is not None:
        choice["error"] = error
    return {
        "id": "gen-1733000000-abc",
        "object": "chat.completion.chunk",
        "created": 1733000000,
        "model": "vendor/model",
        "provider": "Upstream",
        "choices": [choice],
    }


# (id, the in-stream event, kind, retryable, detail)
SHAPES = [
    pytest.param(
        choice_error({"code": 429, "message": "Rate limit exceeded upstream"}),
        ErrorKind.RATE_LIMIT, True, "Rate limit exceeded upstream",
        id="choice_error_429_is_a_rate_limit",
    ),
    pytest.param(
        choice_error({"code": 502, "message": "Provider returned error"}),
        ErrorKind.TIMEOUT, True, "Provider returned error",
        id="choice_error_502_is_a_timeout",
    ),
    pytest.param(
        choice_error({"code": 400, "message": "This endpoint's maximum context length is 8192 tokens."}),
        ErrorKind.CONTEXT_LENGTH, False, "This endpoint's maximum context length is 8192 tokens.",
        id="choice_error_context_length",
    ),
    pytest.param(
        choice_error({"code": "server_error", "message": "The upstream failed"}),
        ErrorKind.GENERIC, True, "The upstream failed",
        id="choice_error_with_a_code_name",
    ),
    pytest.param(
        choice_error(None),
        ErrorKind.GENERIC, True, "",
        id="finish_reason_error_without_an_object",
    ),
    pytest.param(
        {"error": {"code": 503, "message": "No instances available"}},
        ErrorKind.TIMEOUT, True, "No instances available",
        id="top_level_error_with_a_numeric_code",
    ),
    pytest.param(
        {"error": {"message": "An unexpected error occurred. You can retry your request."}},
        ErrorKind.GENERIC, True, "An unexpected error occurred. You can retry your request.",
        id="top_level_error_that_says_it_can_be_retried",
    ),
]  # fmt: skip


@pytest.mark.parametrize("api", ROUTED, ids=ROUTED_IDS)
@pytest.mark.parametrize(("event", "kind", "retryable", "detail"), SHAPES)
async def test_errors_inside_a_200_stream(
    api: Api, event: dict[str, Any], kind: ErrorKind, retryable: bool, detail: str, make_adapter
) -> None:
    outcome = {"kind": "stream_error", "after": 3, "body": event}
    result = await consume(make_adapter(api), turn(outcome))

    assert result.text == token_text(3)
    assert result.finishes == []
    structured = result.error
    while structured is not None and not isinstance(structured, ProviderError):
        structured = structured.__cause__  # type: ignore[assignment]
    assert isinstance(structured, ProviderError)
    assert structured.status_code == 200
    got = classify(result.error)
    assert (got.kind, got.retryable, got.status_code, got.provider) == (
        kind,
        retryable,
        200,
        api.provider,
    )
    if detail:
        assert got.detail == detail


@pytest.mark.parametrize("api", ROUTED, ids=ROUTED_IDS)
async def test_a_normal_200_stream_with_router_fields_is_not_an_error(
    api: Api, make_adapter
) -> None:
    # A router's ordinary last chunk may carry `"error": null`: only an error object counts.
    last = choice_error(None, finish="stop")
    last["choices"][0].update(delta={"content": " end"}, error=None)
    result = await consume(
        make_adapter(api), turn({"kind": "stream_error", "after": 3, "body": last})
    )

    assert result.error is None
    assert result.text == token_text(3) + " end"
    assert [finish.finish_reason for finish in result.finishes] == ["stop"]
