"""Failures as they arrive in the wild, one table per family of texts and shapes.

Each family is covered by rules, not by its examples: the rows use several
phrasings (and several producers) per rule, and each family has rows for what
must *not* match it. Each row is (id, input, kind, retryable, status_code).
"""

from __future__ import annotations

import json

import pytest

from chatcore.errors import ErrorKind, ProviderError, classify

K = ErrorKind


def pe(status: int | None, body: object = None, message: str = "", **headers: str) -> ProviderError:
    raw = body if body is None or isinstance(body, str | bytes) else json.dumps(body)
    return ProviderError(message, status_code=status, body=raw, headers=headers or None)


Row = tuple[str, "str | BaseException", ErrorKind, bool, int]

# fmt: off
# Transport failures relayed as text by gateways and proxies written in Go: the
# HTTP/2 transport's own errors, RST_STREAM codes, and "context canceled" after
# an upstream failure.
GO_GATEWAY_ROWS: list[Row] = [
    ("go_h2_stream_closed", "http2: stream closed", K.TIMEOUT, True, 0),
    ("go_h2_client_connection_is_closed", "http2: client connection is closed", K.TIMEOUT, True, 0),
    ("go_h2_client_conn_is_closed", "http2: client conn is closed", K.TIMEOUT, True, 0),
    ("go_h2_client_conn_not_usable", "http2: client conn not usable", K.TIMEOUT, True, 0),
    ("go_h2_conn_not_established", 'Post "https://api.openai.com/v1/chat/completions": http2: client conn could not be established', K.TIMEOUT, True, 0),
    ("go_h2_connection_lost", "http2: client connection lost", K.TIMEOUT, True, 0),
    ("go_h2_awaiting_headers", "http2: timeout awaiting response headers", K.TIMEOUT, True, 0),
    ("go_h2_graceful_goaway", "http2: Transport: cannot retry err [http2: Transport received Server's graceful shutdown GOAWAY] after Request.Body was written; define Request.GetBody to avoid this error", K.TIMEOUT, True, 0),
    ("go_rst_no_error", "stream error: stream ID 1; NO_ERROR; received from peer", K.TIMEOUT, True, 0),
    ("go_rst_internal_error_wrapped", 'Post "https://gateway.internal/v1/messages": stream error: stream ID 5; INTERNAL_ERROR; received from peer', K.TIMEOUT, True, 0),
    ("go_rst_refused_stream", "stream error: stream ID 3; REFUSED_STREAM; received from peer", K.TIMEOUT, True, 0),
    ("go_rst_cancel", "stream error: stream ID 11; CANCEL; received from peer", K.TIMEOUT, True, 0),
    ("go_rst_enhance_your_calm", "stream error: stream ID 13; ENHANCE_YOUR_CALM; received from peer", K.TIMEOUT, True, 0),
    ("go_rst_protocol_error_is_a_bug", "stream error: stream ID 7; PROTOCOL_ERROR; received from peer", K.GENERIC, False, 0),
    ("go_rst_compression_error_is_a_bug", "stream error: stream ID 9; COMPRESSION_ERROR", K.GENERIC, False, 0),
    ("grpc_rst_internal_error", "rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: INTERNAL_ERROR", K.TIMEOUT, True, 0),
    ("grpc_rst_protocol_error", "rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: PROTOCOL_ERROR", K.GENERIC, False, 0),
    ("node_nghttp2_refused_stream", "Stream closed with error code NGHTTP2_REFUSED_STREAM", K.TIMEOUT, True, 0),
    ("node_nghttp2_flow_control_is_a_bug", "Stream closed with error code NGHTTP2_FLOW_CONTROL_ERROR", K.GENERIC, False, 0),
    ("go_canceled_after_upstream_500", "upstream returned status 500: context canceled", K.GENERIC, True, 500),
    ("go_canceled_after_http_500", "error from upstream (HTTP 500 Internal Server Error): context canceled", K.GENERIC, True, 500),
    ("go_canceled_after_upstream_502", "upstream error: status 502: context canceled", K.TIMEOUT, True, 502),
    ("go_canceled_with_client_timeout", "context canceled (Client.Timeout exceeded while awaiting headers)", K.TIMEOUT, True, 0),
    ("go_request_canceled_with_client_timeout", "net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)", K.TIMEOUT, True, 0),
    ("go_canceled_in_an_upstream_500_body", pe(500, {"error": {"message": "context canceled", "type": "upstream_error"}}), K.GENERIC, True, 500),
    ("go_canceled_after_a_reset", "provider transport reset: context canceled", K.TIMEOUT, True, 0),
    ("provider_transport_reset", "provider transport reset", K.TIMEOUT, True, 0),
    ("provider_transport_reset_type_name", "ProviderTransportReset: stream dropped", K.TIMEOUT, True, 0),
    ("envoy_no_healthy_upstream", "no healthy upstream", K.TIMEOUT, True, 0),
    # False positives.
    ("fp_context_canceled_alone_is_a_user_cancel", "context canceled", K.GENERIC, False, 0),
    ("fp_context_canceled_with_url_is_a_user_cancel", 'Post "https://api.openai.com/v1/chat/completions": context canceled', K.GENERIC, False, 0),
    ("fp_request_canceled_alone_is_a_user_cancel", "net/http: request canceled", K.GENERIC, False, 0),
    ("fp_stream_id_is_not_a_status", "stream error: stream ID 503; CANCEL; received from peer", K.TIMEOUT, True, 0),
    ("fp_stream_id_429_is_not_a_rate_limit", "stream error: stream ID 429; PROTOCOL_ERROR; received from peer", K.GENERIC, False, 0),
    ("fp_h2_event_stream_id_is_not_a_status", "<StreamReset stream_id:401, error_code:ErrorCodes.REFUSED_STREAM, remote_reset:True>", K.TIMEOUT, True, 0),
]

# Context-window phrasings of open-model servers and their hosts.
CONTEXT_ROWS: list[Row] = [
    ("tgi_inputs_plus_max_new_tokens", "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`", K.CONTEXT_LENGTH, False, 0),
    ("tgi_in_a_422_body", pe(422, {"error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192. Given: 6204 `inputs` tokens and 2047 `max_new_tokens`", "error_type": "validation"}), K.CONTEXT_LENGTH, False, 422),
    ("tgi_inputs_must_have_less_than", "Input validation error: `inputs` must have less than 1024 tokens. Given: 1168", K.CONTEXT_LENGTH, False, 0),
    ("vllm_decoder_prompt_longer", pe(400, {"object": "error", "message": "The decoder prompt (length 5951) is longer than the maximum model length of 4096. Make sure that `max_model_len` is no smaller than the number of text tokens.", "type": "BadRequestError", "code": 400}), K.CONTEXT_LENGTH, False, 400),
    ("vllm_max_tokens_too_large", pe(400, {"object": "error", "message": "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is 32768 tokens and your request has 29000 input tokens (4096 > 32768 - 29000).", "type": "BadRequestError", "code": 400}), K.CONTEXT_LENGTH, False, 400),
    ("ollama_input_exceeds_context", pe(400, {"error": "the input length exceeds the context length"}), K.CONTEXT_LENGTH, False, 400),
    ("ollama_prompt_too_long_openai_shape", pe(400, {"error": {"message": "prompt too long; exceeded max context length by 10 tokens", "type": "api_error"}}), K.CONTEXT_LENGTH, False, 400),
    ("llamacpp_available_context_size", pe(400, {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it", "type": "exceed_context_size_error"}}), K.CONTEXT_LENGTH, False, 400),
    ("lmstudio_context_the_overflows", "Trying to keep the first 5000 tokens when context the overflows. However, the model is loaded with context length of only 4096 tokens, which is not enough.", K.CONTEXT_LENGTH, False, 0),
    ("gateway_context_exceeded", "upstream: context exceeded", K.CONTEXT_LENGTH, False, 0),
    ("context_window_overflow", "Context overflow: 9000 tokens requested", K.CONTEXT_LENGTH, False, 0),
    ("deepinfra_exceed_context_window", "Requested tokens (5000) exceed context window of 4096", K.CONTEXT_LENGTH, False, 0),
    ("xai_maximum_prompt_length", pe(400, {"code": "Client specified an invalid argument", "error": "This model's maximum prompt length is 131072 but the request contains 1500000 tokens."}), K.CONTEXT_LENGTH, False, 400),
    ("cohere_total_number_of_tokens", "too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 5000. Try using a shorter prompt", K.CONTEXT_LENGTH, False, 0),
    ("mistral_too_large_for_model", pe(400, {"object": "error", "message": "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length", "type": "invalid_request_error", "code": None}), K.CONTEXT_LENGTH, False, 400),
    ("bedrock_too_many_input_tokens", "Too many input tokens. Max input tokens: 4096, request input token count: 5000", K.CONTEXT_LENGTH, False, 0),
    ("groq_reduce_the_length", pe(400, {"error": {"message": "Please reduce the length of the messages or completion.", "type": "invalid_request_error", "param": "messages"}}), K.CONTEXT_LENGTH, False, 400),
    ("litellm_context_window_exceeded", "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: OpenAIException - input too long", K.CONTEXT_LENGTH, False, 0),
    # False positives.
    ("fp_bedrock_too_many_tokens_is_a_rate_limit", "Too many tokens, please wait before trying again.", K.RATE_LIMIT, True, 0),
    ("fp_max_new_tokens_alone_is_not_context", pe(422, {"error": "Input validation error: `max_new_tokens` must be <= 192. Given: 1024", "error_type": "validation"}), K.GENERIC, False, 422),
    ("fp_context_canceled_is_not_context", "context canceled", K.GENERIC, False, 0),
]

# Transport failures of other Python clients (aiohttp, urllib3 / requests) and
# chunked bodies cut short; TLS verification failures are configuration.
CLIENT_TRANSPORT_ROWS: list[Row] = [
    ("aiohttp_cannot_connect_call_failed", "Cannot connect to host api.openai.com:443 ssl:default [Connect call failed ('104.18.7.192', 443)]", K.TIMEOUT, True, 0),
    ("aiohttp_cannot_connect_dns", "Cannot connect to host api.anthropic.com:443 ssl:default [Temporary failure in name resolution]", K.TIMEOUT, True, 0),
    ("aiohttp_server_disconnected", "ServerDisconnectedError: Server disconnected", K.TIMEOUT, True, 0),
    ("aiohttp_payload_not_completed", "Response payload is not completed: <TransferEncodingError: 400, message='Not enough data for satisfy transfer length header.'>", K.TIMEOUT, True, 0),
    ("aiohttp_closing_transport", "ClientConnectionResetError: Cannot write to closing transport", K.TIMEOUT, True, 0),
    ("urllib3_broken_incomplete_read", "('Connection broken: IncompleteRead(0 bytes read, 2 more expected)', IncompleteRead(0 bytes read, 2 more expected))", K.TIMEOUT, True, 0),
    ("urllib3_broken_invalid_chunk_length", "('Connection broken: InvalidChunkLength(got length b'', 0 bytes read)', InvalidChunkLength(got length b'', 0 bytes read))", K.TIMEOUT, True, 0),
    ("urllib3_remote_disconnected", "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))", K.TIMEOUT, True, 0),
    ("urllib3_new_connection_refused", "HTTPSConnectionPool(host='api.openai.com', port=443): Max retries exceeded with url: /v1/chat/completions (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f2>: Failed to establish a new connection: [Errno 111] Connection refused'))", K.TIMEOUT, True, 0),
    ("requests_chunked_encoding_error", "ChunkedEncodingError: ('Connection broken: IncompleteRead(1024 bytes read)', IncompleteRead(1024 bytes read))", K.TIMEOUT, True, 0),
    ("go_invalid_byte_in_chunk_length", "net/http: invalid byte in chunk length", K.TIMEOUT, True, 0),
    ("node_invalid_chunk_size", "Parse Error: Invalid character in chunk size", K.TIMEOUT, True, 0),
    ("h11_illegal_chunk_header", "illegal chunk header: b'zz\\r\\n'", K.TIMEOUT, True, 0),
    ("ssl_unexpected_eof_stays_transient", "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:2427)", K.TIMEOUT, True, 0),
    # TLS certificate verification: configuration, never retried.
    ("tls_python_local_issuer", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)", K.CONFIG, False, 0),
    ("tls_aiohttp_self_signed", "Cannot connect to host llm.internal:443 ssl:True [SSLCertVerificationError: (1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)')]", K.CONFIG, False, 0),
    ("tls_requests_hostname_mismatch", "HTTPSConnectionPool(host='llm.internal', port=443): Max retries exceeded with url: /v1/chat/completions (Caused by SSLError(SSLCertVerificationError(1, \"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'llm.internal'. (_ssl.c:1006)\")))", K.CONFIG, False, 0),
    ("tls_go_unknown_authority", 'Post "https://llm.internal:8443/v1/chat/completions": tls: failed to verify certificate: x509: certificate signed by unknown authority', K.CONFIG, False, 0),
    ("tls_go_expired", "x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is after 2025-12-01T00:00:00Z", K.CONFIG, False, 0),
    ("tls_go_valid_for_other_names", "x509: certificate is valid for *.example.com, not llm.internal", K.CONFIG, False, 0),
    ("tls_node_first_certificate", "request to https://llm.internal/v1 failed, reason: unable to verify the first certificate", K.CONFIG, False, 0),
    ("tls_node_expired_code", "Error: certificate has expired (CERT_HAS_EXPIRED)", K.CONFIG, False, 0),
    ("tls_plain_http_port", "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", K.CONFIG, False, 0),
    ("tls_beats_a_503_status", "status 503: x509: certificate signed by unknown authority", K.CONFIG, False, 503),
    # False positives.
    ("fp_transfer_encoding_400_is_not_a_status", "TransferEncodingError: 400, message='Not enough data for satisfy transfer length header.'", K.TIMEOUT, True, 0),
    ("fp_host_port_ssl_default_is_not_tls", "Cannot connect to host api.openai.com:443 ssl:default [Connection reset by peer]", K.TIMEOUT, True, 0),
    ("fp_certificate_word_alone", "the certificate of completion is attached", K.GENERIC, False, 0),
]

OPENROUTER_CHOICE = {
    "id": "gen-1733000000-abc", "object": "chat.completion.chunk", "created": 1733000000,
    "model": "anthropic/claude-sonnet-4.5", "provider": "Anthropic",
}


def choice_chunk(error: dict[str, object] | None, finish: str | None = "error") -> dict[str, object]:
    choice: dict[str, object] = {"index": 0, "delta": {"content": ""}, "finish_reason": finish}
    if error is not None:
        choice["error"] = error
    return {**OPENROUTER_CHOICE, "choices": [choice]}


# Errors inside an HTTP 200: the kind comes from the inner code, the status stays 200.
IN_200_ROWS: list[Row] = [
    ("in200_router_choice_error_429", pe(200, choice_chunk({"code": 429, "message": "Rate limit exceeded upstream", "metadata": {"provider_name": "Anthropic"}})), K.RATE_LIMIT, True, 200),
    ("in200_router_choice_error_502", pe(200, choice_chunk({"code": 502, "message": "Provider returned error", "metadata": {"raw": "upstream connect error"}})), K.TIMEOUT, True, 200),
    ("in200_router_choice_error_529_overloaded", pe(200, choice_chunk({"code": 529, "message": "Provider returned error"})), K.OVERLOADED, True, 200),
    ("in200_router_choice_error_string_code", pe(200, choice_chunk({"code": "server_error", "message": "The upstream had an internal error"})), K.GENERIC, True, 200),
    ("in200_router_choice_error_disconnected", pe(200, choice_chunk({"code": "server_error", "message": "Provider disconnected unexpectedly"})), K.TIMEOUT, True, 200),
    ("in200_router_choice_error_context", pe(200, choice_chunk({"code": 400, "message": "This endpoint's maximum context length is 200000 tokens. However, you requested about 210000 tokens."})), K.CONTEXT_LENGTH, False, 200),
    ("in200_router_choice_error_403_moderation", pe(200, choice_chunk({"code": 403, "message": "Your input was flagged for \"violence\".", "metadata": {"reasons": ["violence"]}})), K.CONTENT_FILTER, False, 200),
    ("in200_finish_reason_error_without_object", pe(200, choice_chunk(None)), K.GENERIC, True, 200),
    ("in200_top_level_error_with_numeric_code", pe(200, {"error": {"code": 503, "message": "No instances available"}}), K.TIMEOUT, True, 200),
    ("in200_top_level_error_insufficient_quota", pe(200, {"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "code": "insufficient_quota"}}), K.USAGE_LIMIT, False, 200),
    ("in200_anthropic_error_event", pe(200, {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}}), K.RATE_LIMIT, True, 200),
    ("in200_responses_failed_event", pe(200, {"type": "response.failed", "response": {"id": "resp_1", "status": "failed", "error": {"code": "server_error", "message": "An error occurred while processing your request."}}}), K.GENERIC, True, 200),
    ("in200_gemini_prompt_blocked", pe(200, {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]}, "usageMetadata": {"promptTokenCount": 12}}), K.CONTENT_FILTER, False, 200),
    ("in200_gemini_prompt_blocked_other_reason", pe(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}), K.CONTENT_FILTER, False, 200),
    ("in200_gemini_candidate_safety", pe(200, {"candidates": [{"finishReason": "SAFETY", "index": 0}]}), K.CONTENT_FILTER, False, 200),
    ("in200_azure_finish_reason_content_filter", pe(200, {"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "content_filter", "message": {"role": "assistant", "content": None}}]}), K.CONTENT_FILTER, False, 200),
    ("in200_anthropic_refusal_stop", pe(200, {"type": "message", "role": "assistant", "stop_reason": "refusal", "content": []}), K.CONTENT_FILTER, False, 200),
    ("in200_responses_incomplete_content_filter", pe(200, {"type": "response.incomplete", "response": {"status": "incomplete", "incomplete_details": {"reason": "content_filter"}}}), K.CONTENT_FILTER, False, 200),
    # False positives: a 200 with a normal body is not an error of any kind.
    ("fp_in200_normal_completion", pe(200, {"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "The rate limit is 429 requests; model not found errors are rare."}}]}), K.GENERIC, False, 200),
    ("fp_in200_normal_chunk_with_null_error", pe(200, {**OPENROUTER_CHOICE, "choices": [{"index": 0, "delta": {"content": "overloaded"}, "finish_reason": None, "error": None}]}), K.GENERIC, False, 200),
    ("fp_in200_length_stop", pe(200, {"candidates": [{"finishReason": "MAX_TOKENS"}], "promptFeedback": {}}), K.GENERIC, False, 200),
]

# A mid-stream server error with no status whose text only says it can be retried.
RETRY_HINT_ROWS: list[Row] = [
    ("hint_openai_you_can_retry", "An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.", K.GENERIC, True, 0),
    ("hint_openai_sorry_you_can_retry", pe(None, {"error": {"message": "The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help center if you keep seeing this error.", "type": None}}), K.GENERIC, True, 0),
    ("hint_can_be_retried", "Something went wrong on our side; the request can be retried.", K.GENERIC, True, 0),
    ("hint_please_try_again_later", "stream interrupted by the upstream; please try again later", K.GENERIC, True, 0),
    ("hint_in_a_200_stream", pe(200, {"error": {"message": "An unexpected error occurred. Please retry your request."}}), K.GENERIC, True, 200),
    # False positives.
    ("fp_hint_with_a_400_is_not_retried", "status 400: invalid 'temperature', please try again", K.GENERIC, False, 400),
    ("fp_hint_beaten_by_context", "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000, decrease input length or `max_tokens` and try again later", K.CONTEXT_LENGTH, False, 0),
    ("fp_hint_beaten_by_auth", "Invalid API key. Please try again with a valid key.", K.AUTH, False, 0),
]

# A stated wait longer than the retry ceiling (600 s by default): a usage limit.
LONG_WAIT_ROWS: list[Row] = [
    ("wait_header_seconds_beyond_ceiling", pe(429, {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}, **{"retry-after": "3600"}), K.USAGE_LIMIT, False, 429),
    ("wait_header_ms_beyond_ceiling", pe(429, {"error": {"message": "Too many requests"}}, **{"retry-after-ms": "900000"}), K.USAGE_LIMIT, False, 429),
    ("wait_body_go_duration_beyond_ceiling", pe(429, {"error": {"message": "Rate limit reached for gpt-4o on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1h12m0s.", "type": "requests", "code": "rate_limit_exceeded"}}), K.USAGE_LIMIT, False, 429),
    ("wait_body_retry_delay_beyond_ceiling", pe(429, {"error": {"code": 429, "message": "Resource has been exhausted.", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"}]}}), K.USAGE_LIMIT, False, 429),
    ("wait_text_hours_beyond_ceiling", "429 Too Many Requests: please retry after 2 hours", K.USAGE_LIMIT, False, 429),
    # False positives: a wait the ceiling allows, and a long wait on a kind that is not a rate limit.
    ("fp_wait_within_ceiling_retries", pe(429, {"error": {"message": "Rate limit reached"}}, **{"retry-after": "600"}), K.RATE_LIMIT, True, 429),
    ("fp_long_wait_on_overload_stays_overloaded", pe(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, **{"retry-after": "3600"}), K.OVERLOADED, True, 529),
]
# fmt: on

FAMILY_ROWS = (
    GO_GATEWAY_ROWS + CONTEXT_ROWS + CLIENT_TRANSPORT_ROWS + IN_200_ROWS + RETRY_HINT_ROWS
) + LONG_WAIT_ROWS


@pytest.mark.parametrize(
    ("error", "kind", "retryable", "status"),
    [r[1:] for r in FAMILY_ROWS],
    ids=[r[0] for r in FAMILY_ROWS],
)
def test_family_table(
    error: str | BaseException, kind: ErrorKind, retryable: bool, status: int
) -> None:
    got = classify(error)
    assert (got.kind, got.retryable, got.status_code) == (kind, retryable, status)


def test_row_ids_are_unique() -> None:
    ids = [r[0] for r in FAMILY_ROWS]
    assert len(ids) == len(set(ids))


def test_tls_failure_says_what_to_check_and_is_never_retried() -> None:
    got = classify(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
        "issuer certificate (_ssl.c:1006)",
        provider="openai-compat",
    )
    assert (got.kind, got.retryable) == (K.CONFIG, False)
    assert got.message == (
        "The connection to OpenAI Compatible failed certificate verification. Check the "
        "provider's address and the certificates this server trusts."
    )


def test_a_wait_beyond_the_ceiling_says_when_requests_are_accepted_again() -> None:
    error = pe(429, {"error": {"message": "Rate limit reached"}}, **{"retry-after": "5400"})
    got = classify(error, provider="openai")
    assert (got.kind, got.retryable, got.retry_after, got.status_code) == (
        K.USAGE_LIMIT,
        False,
        5400.0,
        429,
    )
    assert got.message == (
        "OpenAI accepts requests again in 1 hour 30 minutes; that is longer than automatic "
        "retries wait. Send the message again after that time."
    )
    # The same message survives a change of provider (the wait is kept with it).
    assert got.with_provider("").message.startswith(
        "The AI provider accepts requests again in 1 hour 30 minutes"
    )


def test_the_ceiling_is_a_parameter() -> None:
    error = pe(429, {"error": {"message": "Rate limit reached"}}, **{"retry-after": "120"})
    assert classify(error).kind == K.RATE_LIMIT
    low = classify(error, retry_ceiling=60)
    assert (low.kind, low.retryable) == (K.USAGE_LIMIT, False)
