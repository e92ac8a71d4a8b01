"""Every input form the classifier reads: chains, structured errors, bodies, transports, deadlines."""

from __future__ import annotations

import json

import pytest

from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    ProviderError,
    classify,
)
from tests.chatcore.errors.chains import chained

K = ErrorKind


# --- the exception chain -------------------------------------------------------------


def test_cause_chain_is_walked() -> None:
    got = classify(chained(RuntimeError("turn failed"), ProviderError("x", status_code=429)))
    assert (got.kind, got.status_code, got.retryable) == (K.RATE_LIMIT, 429, True)


def test_context_chain_is_walked() -> None:
    error = chained(
        RuntimeError("cleanup failed"), ProviderError("x", status_code=401), implicit=True
    )
    assert classify(error).kind == K.AUTH


def test_texts_of_the_whole_chain_are_searched() -> None:
    """Python's str() of an outer exception does not include its cause."""
    error = chained(RuntimeError("turn failed"), ValueError("model not found"))
    assert classify(error).kind == K.CONFIG


def test_exception_group_members_are_walked() -> None:
    group = ExceptionGroup(
        "attempts", [ValueError("bad input"), ProviderError("x", status_code=529)]
    )
    assert classify(group).kind == K.OVERLOADED


def test_nested_exception_group_members_are_walked() -> None:
    inner = ExceptionGroup("inner", [ConnectionResetError("reset")])
    got = classify(ExceptionGroup("outer", [inner]))
    assert (got.kind, got.retryable) == (K.TIMEOUT, True)


def test_cyclic_chain_terminates() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__cause__, second.__cause__ = second, first
    assert classify(first).kind == K.GENERIC


class Hostile(Exception):
    """An exception whose `str()` and attributes blow up."""

    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    @property
    def response(self) -> object:
        raise RuntimeError("no response either")

    @property
    def status_code(self) -> int:
        raise ValueError("nor a status")


def test_hostile_exceptions_do_not_hide_the_rest_of_the_chain() -> None:
    got = classify(chained(Hostile(), ProviderError("slow down", status_code=429)))
    assert (got.kind, got.status_code) == (K.RATE_LIMIT, 429)
    assert classify(Hostile()).kind == K.GENERIC


def test_outermost_structured_error_wins() -> None:
    error = chained(
        ProviderError("outer", status_code=503), ProviderError("inner", status_code=401)
    )
    assert classify(error).status_code == 503


# --- structured provider errors ------------------------------------------------------


def test_provider_error_whole_value() -> None:
    error = ProviderError(
        "boom",
        status_code=429,
        headers={"Retry-After": "3"},
        body=b'{"error": {"message": "Slow down", "type": "rate_limit_error"}}',
        provider="Azure-OpenAI",
    )
    assert classify(error) == ClassifiedError(
        kind=K.RATE_LIMIT,
        message="Azure OpenAI kept rate limiting the request. Send the message again later.",
        detail="Slow down",
        provider="azure",
        retryable=True,
        status_code=429,
        retry_after=3.0,
    )


DETAIL_ROWS = [
    ("nested_error_message_first", {"error": {"message": "inner"}, "message": "outer"}, "inner"),
    ("top_level_message_second", {"message": "top level", "code": 400}, "top level"),
    ("string_error_field", {"error": 'model "x" not found'}, 'model "x" not found'),
    ("list_envelope", [{"error": {"message": "in a list"}}], "in a list"),
    (
        "string_error_wrapped_again",
        {"error": {"error": "model 'x' not found"}},
        "model 'x' not found",
    ),
    ("botocore_shape", {"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "slow"),
    (
        "gateway_rewrapped_json_message",
        {"error": {"message": json.dumps({"error": {"message": "upstream says no"}})}},
        "upstream says no",
    ),
    (
        "sse_error_event",
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"sse detail"}}',
        "sse detail",
    ),
    (
        "no_message_in_body_uses_exception_message",
        {"error": {"type": "x"}},
        "the exception message",
    ),
    ("plain_text_body_uses_exception_message", "not json at all", "the exception message"),
]


@pytest.mark.parametrize(
    ("body", "detail"), [r[1:] for r in DETAIL_ROWS], ids=[r[0] for r in DETAIL_ROWS]
)
def test_detail_from_body(body: object, detail: str) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    got = classify(ProviderError("the exception message", status_code=400, body=raw))
    assert got.detail == detail


def test_plain_text_body_is_the_detail_when_the_message_is_empty() -> None:
    assert classify(ProviderError("", status_code=502, body="Bad Gateway")).detail == "Bad Gateway"


def test_html_body_is_never_the_detail() -> None:
    got = classify(ProviderError("", status_code=502, body="<html><body>502</body></html>"))
    assert (got.kind, got.detail) == (K.TIMEOUT, "")


def test_body_over_64_kib_is_not_parsed() -> None:
    body = json.dumps(
        {"error": {"message": "hidden", "type": "overloaded_error"}, "pad": "x" * 70_000}
    )
    got = classify(ProviderError("upstream failed", status_code=400, body=body))
    assert (got.kind, got.detail) == (K.GENERIC, "upstream failed")


def test_dumped_response_is_cut_at_the_blank_line() -> None:
    dump = (
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
        'Retry-After: 7\r\n\r\n{"error": {"message": "dumped detail"}}'
    )
    for error in (dump, ProviderError("wrapped", body=dump), ProviderError(dump)):
        got = classify(error)
        assert (got.kind, got.detail, got.status_code, got.retry_after) == (
            K.RATE_LIMIT, "dumped detail", 429, 7.0,
        )  # fmt: skip


def test_go_sdk_wrapper_is_unwrapped() -> None:
    text = (
        'POST "https://api.openai.com/v1/responses": 400 Bad Request '
        '{"error": {"message": "Unsupported parameter: temperature", "type": "invalid_request_error"}}'
    )
    got = classify(ProviderError(text, status_code=400))
    assert (got.detail, got.provider) == ("Unsupported parameter: temperature", "openai")
    assert classify(text).detail == "Unsupported parameter: temperature"


def test_python_sdk_wrapper_with_dict_repr_is_unwrapped() -> None:
    text = "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}"
    got = classify(text)
    assert (got.kind, got.status_code, got.detail) == (K.OVERLOADED, 529, "Overloaded")


def test_detail_is_capped_at_500_characters() -> None:
    got = classify(
        ProviderError("x", status_code=400, body=json.dumps({"error": {"message": "a" * 900}}))
    )
    assert got.detail == "a" * 499 + "…"
    assert len(got.detail) == 500


# --- detail fallback -----------------------------------------------------------------


def test_fallback_detail_folds_whitespace() -> None:
    assert classify("weird   thing\n\n happened").detail == "weird thing happened"


def test_fallback_detail_is_dropped_when_it_contains_a_url() -> None:
    assert classify("failed to GET https://signed.example/x?sig=abc").detail == ""


def test_fallback_detail_is_dropped_for_an_html_page() -> None:
    assert classify("<html><body><h1>502 Bad Gateway</h1></body></html>").detail == ""


@pytest.mark.parametrize(
    "text",
    ["status 401 token=abcdef123", "chat interrupted", "anthropic stream closed before message_stop",
     "Previous response with id 'resp_1' not found"],
    ids=["auth", "canceled", "truncated", "chain_broken"],
)  # fmt: skip
def test_no_fallback_detail_for_auth_cancel_truncated_chain_broken(text: str) -> None:
    assert classify(text).detail == ""


def test_continuity_detail_is_fixed_and_never_echoes_item_ids() -> None:
    got = classify("No tool output found for function call call_8fJk2Xy.")
    assert (
        got.detail == "OpenAI Responses continuity error: no tool output found for function call."
    )
    assert "call_8fJk2Xy" not in got.detail + got.message
    got = classify(
        "Item 'rs_abc' of type 'reasoning' was provided without its required 'reasoning' item."
    )
    assert "rs_abc" not in got.detail and "reasoning" in got.detail
    assert got.provider == "openai"


# --- special cases: whole values --------------------------------------------------------


def test_truncated_stream_whole_value_infers_provider() -> None:
    assert classify("anthropic stream closed before message_stop") == ClassifiedError(
        kind=K.TIMEOUT,
        message="Anthropic stream closed unexpectedly before the response completed.",
        provider="anthropic",
        retryable=True,
    )


def test_chain_broken_whole_value_defaults_to_openai() -> None:
    assert classify("Previous response with id 'resp_1' not found.") == ClassifiedError(
        kind=K.GENERIC,
        message="OpenAI no longer has the previous response of this conversation. "
        "Send the message again to resend the full history.",
        provider="openai",
        retryable=True,
        chain_broken=True,
    )


def test_chain_broken_keeps_the_structured_detail_and_a_known_provider() -> None:
    body = json.dumps({"error": {"message": "Previous response with id 'resp_1' not found.",
                                 "type": "invalid_request_error", "code": "previous_response_not_found"}})  # fmt: skip
    got = classify(ProviderError("x", status_code=400, body=body, provider="azure"))
    assert (got.chain_broken, got.provider, got.detail) == (
        True, "azure", "Previous response with id 'resp_1' not found.",
    )  # fmt: skip
