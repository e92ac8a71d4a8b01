"""Faults inside a 200 stream x every adapter (the fault matrix, part 2).

Truncation, in-stream error events, safety stops, dropped connections, refused
connections and stalls: what the adapter yields before it raises, and the whole
``ClassifiedError`` of what it raises. An error event or a safety stop inside the
200 stream keeps that 200 as its status (the kind comes from the event); a
truncation, a reset or a stall has no status of its own.
"""

from __future__ import annotations

import pytest

from chatcore.errors import ErrorKind, classify
from chatcore.fakeprovider import token_text
from tests.chatcore.providers.conftest import ANTHROPIC, APIS, RESPONSES, Api, consume, turn
from tests.chatcore.providers.matrix import Fault, assert_classified, cases, expected_for
from tests.fakeserver import free_port

API_IDS = [api.name for api in APIS]

# Faults inside a 200 stream, after some text: an error event keeps the 200 it came in.
STREAM_FAULTS = (
    Fault(
        "truncated_after_k_tokens",
        {"kind": "truncate", "after": 5, "tokens": 12},
        ErrorKind.TIMEOUT,
        True,
        status=0,
        detail="",
        tokens_before=5,
    ),
    Fault(
        "truncated_before_any_token",
        {"kind": "truncate", "after": 0, "tokens": 12},
        ErrorKind.TIMEOUT,
        True,
        status=0,
        detail="",
    ),
    Fault(
        "in_stream_overloaded",
        {"kind": "stream_error", "after": 4, "error": "overloaded"},
        ErrorKind.OVERLOADED,
        True,
        status=200,
        tokens_before=4,
    ),
    Fault(
        "in_stream_rate_limit",
        {"kind": "stream_error", "after": 4, "error": "rate_limit"},
        ErrorKind.RATE_LIMIT,
        True,
        status=200,
        tokens_before=4,
    ),
    Fault(
        "in_stream_server_error",
        {"kind": "stream_error", "after": 4, "error": "server_error"},
        ErrorKind.GENERIC,
        True,
        status=200,
        tokens_before=4,
    ),
    Fault(
        "in_stream_insufficient_quota",
        {"kind": "stream_error", "after": 4, "error": "insufficient_quota"},
        ErrorKind.USAGE_LIMIT,
        False,
        status=200,
        tokens_before=4,
    ),
    Fault(
        "in_stream_default_is_anthropic_overloaded_error",
        {"kind": "stream_error", "after": 2},
        ErrorKind.OVERLOADED,
        True,
        status=200,
        apis=(ANTHROPIC,),
        tokens_before=2,
    ),
    Fault(
        "responses_error_event_instead_of_response_failed",
        {"kind": "stream_error", "after": 3, "error": "rate_limit", "event": "error"},
        ErrorKind.RATE_LIMIT,
        True,
        status=200,
        apis=(RESPONSES,),
        tokens_before=3,
    ),
)

# The adapter's own description of a safety stop: there is no provider body to quote.
REFUSAL_REASONS = {
    "chat": "finish_reason: content_filter",
    "responses": "incomplete_details.reason: content_filter",
    "anthropic": "stop_reason: refusal",
    "compat": "finish_reason: content_filter",
}


@pytest.mark.parametrize(("fault", "api"), cases(STREAM_FAULTS))
async def test_faults_inside_the_stream(fault: Fault, api: Api, make_adapter) -> None:
    result = await consume(make_adapter(api), turn(fault.outcome))

    assert result.text == token_text(fault.tokens_before)
    assert result.finishes == []  # a failed turn never yields Finish: no response id is stored
    got = classify(result.error)
    assert_classified(got, fault, api, expected_for(fault, api, got))


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_truncation_names_the_provider_and_its_missing_terminal_event(
    api: Api, make_adapter
) -> None:
    result = await consume(make_adapter(api), turn({"kind": "truncate", "after": 3}))

    assert str(result.error) == f"{api.label} stream closed before {api.terminal}"


@pytest.mark.parametrize(
    ("api", "exact"),
    [
        (ANTHROPIC, "anthropic stream closed before message_stop"),
        (RESPONSES, "openai responses stream closed before terminal event"),
    ],
    ids=["anthropic", "responses"],
)
async def test_truncation_texts_the_classifier_special_cases(
    api: Api, exact: str, make_adapter
) -> None:
    result = await consume(make_adapter(api), turn({"kind": "truncate", "after": 1}))

    assert str(result.error) == exact


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_safety_stop_mid_stream_is_a_content_filter_error(api: Api, make_adapter) -> None:
    result = await consume(make_adapter(api), turn({"kind": "refusal", "after": 4}))

    assert result.text == token_text(4)
    assert result.finishes == []
    got = classify(result.error)
    detail = (
        f"{{label}} stream stopped by the provider's safety system ({REFUSAL_REASONS[api.name]})"
    )
    fault = Fault("refusal", {}, ErrorKind.CONTENT_FILTER, False, status=200, detail=detail)
    assert_classified(got, fault, api, expected_for(fault, api, got))


@pytest.mark.parametrize("after", [0, 5], ids=["right_after_the_headers", "after_k_tokens"])
@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_connection_reset_mid_body_retries_as_timeout(
    api: Api, after: int, make_adapter
) -> None:
    result = await consume(make_adapter(api), turn({"kind": "reset", "after": after, "tokens": 12}))

    assert result.text == token_text(after)
    assert result.finishes == []
    got = classify(result.error)
    # The detail is the transport's own wording, which differs by SDK; it must exist
    # and must not leak a URL.
    assert got.detail and "://" not in got.detail
    fault = Fault("reset", {}, ErrorKind.TIMEOUT, True, status=0, detail=got.detail)
    assert_classified(got, fault, api, expected_for(fault, api, got))


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_connection_refused_retries_as_timeout(api: Api, make_adapter) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/v1"
    result = await consume(make_adapter(api, base_url=nobody), turn())

    got = classify(result.error)
    assert got.detail and "://" not in got.detail
    fault = Fault("refused", {}, ErrorKind.TIMEOUT, True, status=0, detail=got.detail)
    assert_classified(got, fault, api, expected_for(fault, api, got))


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_provider_that_stalls_past_the_client_timeout_retries_as_timeout(
    api: Api, make_adapter
) -> None:
    slow = {"kind": "ok", "tokens": 3, "delay": 1.0}
    result = await consume(make_adapter(api, timeout=0.25), turn(slow))

    assert result.parts == []
    got = classify(result.error)
    fault = Fault("stall", {}, ErrorKind.TIMEOUT, True, status=0, detail=got.detail)
    assert_classified(got, fault, api, expected_for(fault, api, got))
