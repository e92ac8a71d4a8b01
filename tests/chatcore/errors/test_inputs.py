"""Every input form of SPEC §4: chains, structured errors, bodies, transports, deadlines."""

from __future__ import annotations

import asyncio
import json

import httpcore2
import httpx
import httpx2
import pytest

from chatcore.errors import (
    ClassifiedError,
    DeadlineExceeded,
    ErrorKind,
    ProviderError,
    ProviderTransportReset,
    classify,
    with_classification,
)

K = ErrorKind


def chained(outer: BaseException, inner: BaseException, *, implicit: bool = False) -> BaseException:
    """`outer` raised from (or, implicitly, while handling) `inner`, with a real traceback."""
    try:
        try:
            raise inner
        except BaseException as caught:
            if implicit:
                raise outer  # noqa: B904 - the implicit __context__ link is the point
            raise outer from caught
    except BaseException as result:
        return result
    raise AssertionError("unreachable")


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


# --- transports, deadlines, cancellation ------------------------------------------------


class StreamReset:
    """Shaped like `h2.events.StreamReset` (h2 is not installed here)."""

    __module__ = "h2.events"

    def __init__(self, error_code: int) -> None:
        self.stream_id = 1
        self.error_code = error_code
        self.remote_reset = True

    def __repr__(self) -> str:
        return f"<StreamReset stream_id:1, error_code:{self.error_code}, remote_reset:True>"


TRANSPORT_ROWS = [
    ("connection_reset", ConnectionResetError(), K.TIMEOUT, True),
    ("broken_pipe", BrokenPipeError(), K.TIMEOUT, True),
    ("eof", EOFError(), K.TIMEOUT, True),
    ("httpx_connect_timeout", httpx.ConnectTimeout("x"), K.TIMEOUT, True),
    ("httpx_read_timeout", httpx.ReadTimeout("x"), K.TIMEOUT, True),
    ("httpx_write_timeout", httpx.WriteTimeout("x"), K.TIMEOUT, True),
    ("httpx_pool_timeout", httpx.PoolTimeout("x"), K.TIMEOUT, True),
    ("httpx2_connect_error", httpx2.ConnectError("x"), K.TIMEOUT, True),
    ("httpx_peer_closed", httpx.RemoteProtocolError("peer closed connection without sending complete message body"), K.TIMEOUT, True),
    ("httpcore2_server_disconnected", httpcore2.RemoteProtocolError("Server disconnected without sending a response."), K.TIMEOUT, True),
    ("h2_reset_refused_stream_object", httpcore2.RemoteProtocolError(StreamReset(7)), K.TIMEOUT, True),
    ("h2_reset_enhance_your_calm_object", httpcore2.RemoteProtocolError(StreamReset(11)), K.TIMEOUT, True),
    ("h2_reset_protocol_error_object_no_retry", httpcore2.RemoteProtocolError(StreamReset(1)), K.GENERIC, False),
    ("h2_reset_frame_size_object_no_retry", httpcore2.RemoteProtocolError(StreamReset(6)), K.GENERIC, False),
    ("provider_transport_reset", ProviderTransportReset("stream dropped"), K.TIMEOUT, True),
    ("our_deadline_class", DeadlineExceeded("turn deadline"), K.TIMEOUT, False),
    ("builtin_timeout_error_is_our_deadline", TimeoutError(), K.TIMEOUT, False),
    ("library_timeout_over_socket_timeout_retries", chained(httpx2.ReadTimeout("read"), TimeoutError("socket")), K.TIMEOUT, True),
    ("deadline_wins_over_library_timeout", chained(DeadlineExceeded("ours"), httpx2.ReadTimeout("read")), K.TIMEOUT, False),
    ("cancelled", asyncio.CancelledError(), K.GENERIC, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("error", "kind", "retryable"),
    [r[1:] for r in TRANSPORT_ROWS],
    ids=[r[0] for r in TRANSPORT_ROWS],
)
def test_transport_rows(error: BaseException, kind: ErrorKind, retryable: bool) -> None:
    got = classify(error)
    assert (got.kind, got.retryable) == (kind, retryable)


def test_cancelled_whole_value() -> None:
    assert classify(asyncio.CancelledError(), provider="openai") == ClassifiedError(
        kind=K.GENERIC, message="The request was canceled.", provider="openai"
    )


def test_cancellation_anywhere_in_the_chain_cancels() -> None:
    got = classify(chained(RuntimeError("stream aborted"), asyncio.CancelledError()))
    assert (got.kind, got.message) == (K.GENERIC, "The request was canceled.")


# --- empty input, hints, attached classifications ---------------------------------------


@pytest.mark.parametrize("empty", [None, "", "   \n"], ids=["none", "empty", "blank"])
def test_empty_input_is_an_empty_classification(empty: str | None) -> None:
    assert classify(empty) == ClassifiedError()
    assert classify(empty).kind == ""


@pytest.mark.parametrize(
    ("text", "provider"),
    [("openai-compat server failed", "openai-compat"), ("OpenAI compatible gateway", "openai-compat"),
     ("azure openai deployment", "azure"), ("azure-openai", "azure"), ("openrouter upstream", "openrouter"),
     ("aws bedrock runtime", "bedrock"), ("bedrock says", "bedrock"), ("vercel ai gateway", "vercel"),
     ("claude is busy", "anthropic"), ("anthropic api", "anthropic"), ("gemini failed", "google"),
     ("vertex ai", "google"), ("google api", "google"), ("openai api", "openai"),
     ("azure openai via openrouter", "azure"), ("nothing here", "")],
    ids=lambda v: str(v).replace(" ", "_"),
)  # fmt: skip
def test_provider_from_text_first_match_wins(text: str, provider: str) -> None:
    assert classify(text).provider == provider


@pytest.mark.parametrize(
    ("hint", "provider"),
    [(" Azure OpenAI ", "azure"), ("azure-openai", "azure"), ("openai compat", "openai-compat"),
     ("OpenAI Compatible", "openai-compat"), ("openai_compat", "openai-compat"), ("ANTHROPIC", "anthropic")],
)  # fmt: skip
def test_provider_hint_is_normalised_and_beats_the_text(hint: str, provider: str) -> None:
    assert classify("anthropic is overloaded", provider=hint).provider == provider


def test_with_classification_round_trip_unchanged() -> None:
    classified = ClassifiedError(kind=K.MISSING_KEY, provider="openai").with_provider("openai")
    error = with_classification(ProviderError("key gone", status_code=401), classified)
    assert classify(error) == classified
    assert classify(chained(RuntimeError("outer"), error)) == classified


def test_with_classification_normalises() -> None:
    error = with_classification(
        RuntimeError("x"), ClassifiedError(kind="", provider="Azure OpenAI", retry_after=-4.0)
    )
    got = classify(error)
    assert (got.kind, got.provider, got.retry_after) == (K.GENERIC, "azure", 0.0)
    assert got.message == "Azure OpenAI returned an unexpected error. Send the message again."


def test_with_provider_regenerates_the_message() -> None:
    got = classify("status 529").with_provider("vercel")
    assert (got.provider, got.message) == (
        "vercel", "Vercel AI Gateway is overloaded and could not answer. Send the message again later.",
    )  # fmt: skip


# --- redaction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    ["sk-test-1234567890abcdef", "sk-ant-api03-abcdEFGH1234567890", "sk-proj-AbC123xyz789",
     "AIzaSyA1234567890abcdefghijklmnopqrstu", "AKIAIOSFODNN7EXAMPLE"],
)  # fmt: skip
def test_keys_are_redacted_from_detail(secret: str) -> None:
    body = json.dumps({"error": {"message": f"key {secret} is not allowed here"}})
    got = classify(ProviderError("x", status_code=400, body=body))
    assert secret not in got.detail
    assert "[REDACTED]" in got.detail


@pytest.mark.parametrize(
    ("text", "leak"),
    [("upstream said: Authorization: Bearer abc.def.ghi-123", "abc.def.ghi-123"),
     ("GET /v1/models?key=AbCdEf123456 failed", "AbCdEf123456"),
     ('{"api_key": "hunter2hunter2"} rejected', "hunter2hunter2")],
    ids=["bearer", "key_query", "api_key_json"],
)  # fmt: skip
def test_tokens_and_key_values_are_redacted(text: str, leak: str) -> None:
    got = classify(ProviderError(text, status_code=400))
    assert leak not in got.detail + got.message


def test_redaction_applies_to_attached_messages() -> None:
    error = with_classification(
        RuntimeError("x"), ClassifiedError(kind=K.AUTH, message="bad key sk-live-abcdef123456")
    )
    assert "sk-live-abcdef123456" not in classify(error).message
