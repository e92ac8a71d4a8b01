"""The rule table, the special cases and their priority conflicts, one row each.

Each row is (id, input, kind, retryable, status_code). Inputs are plain error
texts or `ProviderError`s with real provider bodies; the id states the rule.
"""

from __future__ import annotations

import json

import pytest

from chatcore.errors import ErrorKind, ProviderError, classify

K = ErrorKind


def pe(status: int | None, body: object = None, message: str = "", **headers: str) -> ProviderError:
    raw = body if body is None or isinstance(body, str | bytes) else json.dumps(body)
    return ProviderError(message, status_code=status, body=raw, headers=headers or None)


RuleRow = tuple[str, "str | BaseException", ErrorKind, bool, int]

# fmt: off
RULE_ROWS: list[RuleRow] = [
    # 1. overloaded
    ("r1_status_529", "status 529", K.OVERLOADED, True, 529),
    ("r1_text_overloaded", "the server is overloaded", K.OVERLOADED, True, 0),
    ("r1_standalone_529", "upstream answered 529", K.OVERLOADED, True, 529),
    # 2. usage limit
    ("r2_insufficient_quota_no_status", "insufficient_quota", K.USAGE_LIMIT, False, 0),
    ("r2_insufficient_quota_with_429", "status 429 insufficient_quota", K.USAGE_LIMIT, False, 429),
    ("r2_quota_text", "monthly quota exceeded", K.USAGE_LIMIT, False, 0),
    ("r2_billing_text", "billing account is disabled", K.USAGE_LIMIT, False, 0),
    ("r2_payment_required_text", "payment required", K.USAGE_LIMIT, False, 0),
    ("r2_quota_text_with_429_is_rate_limit", "status 429: quota exceeded", K.RATE_LIMIT, True, 429),
    ("r2_billing_text_with_429_is_rate_limit", "HTTP 429 check billing", K.RATE_LIMIT, True, 429),
    ("r2_usage_limit_beats_auth_401", "status 401: billing issue", K.USAGE_LIMIT, False, 401),
    ("r2_usage_limit_beats_auth_403_quota", "status 403 quota exhausted", K.USAGE_LIMIT, False, 403),
    ("r2_quota_is_a_word_not_a_url_part", "see https://aka.ms/oai/quotaincrease", K.GENERIC, False, 0),
    # 3. auth
    ("r3_status_401", "status 401", K.AUTH, False, 401),
    ("r3_authentication", "authentication failed", K.AUTH, False, 0),
    ("r3_unauthorized", "Unauthorized", K.AUTH, False, 0),
    ("r3_invalid_api_key_phrase", "invalid api key", K.AUTH, False, 0),
    ("r3_invalid_api_key_code", "invalid_api_key", K.AUTH, False, 0),
    ("r3_auth_beats_config", "status 401: model not found", K.AUTH, False, 401),
    # 4. forbidden
    ("r4_status_403", "status 403", K.AUTH, False, 403),
    ("r4_forbidden", "Forbidden", K.AUTH, False, 0),
    ("r4_config_beats_forbidden", "403 forbidden: model not found", K.CONFIG, False, 403),
    # 5. rate limit
    ("r5_status_429", "status 429", K.RATE_LIMIT, True, 429),
    ("r5_rate_limit", "rate limit exceeded", K.RATE_LIMIT, True, 0),
    ("r5_rate_limit_underscore", "rate_limit", K.RATE_LIMIT, True, 0),
    ("r5_rate_limited", "you are rate limited", K.RATE_LIMIT, True, 0),
    ("r5_rate_limited_hyphen", "rate-limited by upstream", K.RATE_LIMIT, True, 0),
    ("r5_too_many_requests", "Too Many Requests", K.RATE_LIMIT, True, 0),
    ("r5_config_beats_rate_limit", "429 too many requests: invalid model", K.CONFIG, False, 429),
    ("r5_per_day_quota_never_by_waiting", "429 rate limit: requests per day (RPD) exhausted", K.RATE_LIMIT, False, 429),
    ("r5_request_larger_than_budget", "Request too large for gpt-4 in organization org-x on tokens per min (TPM): Limit 10000, Requested 25000.", K.RATE_LIMIT, False, 0),
    ("r5_requested_above_limit", "Rate limit reached on tokens per min (TPM): Limit 10000, Used 900, Requested 12000.", K.RATE_LIMIT, False, 0),
    ("r5_requested_below_limit_waits", "Rate limit reached on tokens per min (TPM): Limit 10000, Used 9900, Requested 200.", K.RATE_LIMIT, True, 0),
    # 6. provider disabled
    ("r6_provider_disabled_beats_503_timeout", "status 503: provider_disabled", K.PROVIDER_DISABLED, False, 503),
    # 7. timeout
    ("r7_status_408", "status 408", K.TIMEOUT, True, 408),
    ("r7_status_502", "HTTP 502", K.TIMEOUT, True, 502),
    ("r7_status_503", "status code: 503", K.TIMEOUT, True, 503),
    ("r7_status_504", "http=504", K.TIMEOUT, True, 504),
    ("r7_timeout", "request timeout", K.TIMEOUT, True, 0),
    ("r7_timed_out", "read timed out", K.TIMEOUT, True, 0),
    ("r7_service_unavailable", "Service Unavailable", K.TIMEOUT, True, 0),
    ("r7_unavailable", "backend unavailable", K.TIMEOUT, True, 0),
    ("r7_connection_reset", "connection reset by peer", K.TIMEOUT, True, 0),
    ("r7_connection_refused", "dial tcp 10.0.0.1:443: connect: connection refused", K.TIMEOUT, True, 0),
    ("r7_eof", "unexpected EOF", K.TIMEOUT, True, 0),
    ("r7_broken_pipe", "write: broken pipe", K.TIMEOUT, True, 0),
    ("r7_bad_gateway", "Bad Gateway", K.TIMEOUT, True, 0),
    ("r7_gateway_timeout", "Gateway Timeout", K.TIMEOUT, True, 0),
    ("r7_goaway", "http2: server sent GOAWAY and closed the connection", K.TIMEOUT, True, 0),
    ("r7_closed_network_connection", "read tcp: use of closed network connection", K.TIMEOUT, True, 0),
    ("r7_force_closed", "http2: client connection force closed via ClientConn.Close", K.TIMEOUT, True, 0),
    ("r7_h2_connection_terminated_is_goaway", "<ConnectionTerminated error_code:ErrorCodes.NO_ERROR, last_stream_id:5, additional_data:None>", K.TIMEOUT, True, 0),
    ("r7_compound_class_name_service_unavailable", "ServiceUnavailableException: Bedrock is unable to process your request.", K.TIMEOUT, True, 0),
    ("r7_html_gateway_page", "<html><head><title>504 Gateway Time-out</title></head></html>", K.TIMEOUT, True, 504),
    ("r7_config_beats_timeout", "status 503: model not found", K.CONFIG, False, 503),
    ("r7_eof_inside_a_word_is_not_eof", "the length thereof is wrong", K.GENERIC, False, 0),
    # 7b. content filter
    ("r7b_content_filter_code", "content_filter", K.CONTENT_FILTER, False, 0),
    ("r7b_content_policy", "rejected by our content policy", K.CONTENT_FILTER, False, 0),
    ("r7b_content_management_policy", "triggering Azure OpenAI's content management policy", K.CONTENT_FILTER, False, 0),
    ("r7b_safety_block", "Response was blocked due to SAFETY", K.CONTENT_FILTER, False, 0),
    ("r7b_responsible_ai", "ResponsibleAIPolicyViolation", K.CONTENT_FILTER, False, 0),
    # 8. config / context length
    ("r8_invalid_model", "invalid model: gpt-9", K.CONFIG, False, 0),
    ("r8_model_not_found", "model not found", K.CONFIG, False, 0),
    ("r8_model_not_found_code", "model_not_found", K.CONFIG, False, 0),
    ("r8_unsupported_model", "unsupported model", K.CONFIG, False, 0),
    ("r8_malformed_config", "malformed config", K.CONFIG, False, 0),
    ("r8_context_length_phrase", "context length exceeded", K.CONTEXT_LENGTH, False, 0),
    ("r8_context_window_phrase", "input exceeds the context window of this model", K.CONTEXT_LENGTH, False, 0),
    ("r8_context_beats_rate_limit", "429 rate limit: maximum context length is 8192 tokens", K.CONTEXT_LENGTH, False, 429),
    # 9 / 10. generic
    ("r9_status_500", "status 500", K.GENERIC, True, 500),
    ("r9_server_error", "server error", K.GENERIC, True, 0),
    ("r9_compound_class_name", "litellm.InternalServerError: upstream exploded", K.GENERIC, True, 0),
    ("r9_internal_server_error", "Internal Server Error", K.GENERIC, True, 0),
    ("r10_otherwise_not_retryable", "something odd happened", K.GENERIC, False, 0),
    ("r10_400_without_signal", "status 400: invalid parameter 'temperature'", K.GENERIC, False, 400),
]

STATUS_ROWS: list[RuleRow] = [
    ("status_labelled_beats_standalone", "status 503 after 429", K.TIMEOUT, True, 503),
    ("status_stream_id_is_not_a_status", "stream error: stream ID 429; REFUSED_STREAM; received from peer", K.TIMEOUT, True, 0),
    ("status_host_port_is_not_a_status", "dial tcp 127.0.0.1:503: i/o error", K.GENERIC, False, 0),
    ("status_quantity_is_not_a_status", "took 500 ms", K.GENERIC, False, 0),
    ("status_longer_number_is_not_a_status", "request id 4291", K.GENERIC, False, 0),
    ("status_python_sdk_prefix", "Error code: 404 - {'error': {'message': 'nope'}}", K.GENERIC, False, 404),
    ("status_structured_beats_text", pe(429, message="status 500 upstream"), K.RATE_LIMIT, True, 429),
    ("status_body_code_when_no_structured_status", pe(None, {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}), K.RATE_LIMIT, True, 429),
    ("status_200_in_stream_keeps_the_received_status", pe(200, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}), K.OVERLOADED, True, 200),
]

SPECIAL_ROWS: list[RuleRow] = [
    ("special_chat_interrupted", "chat interrupted", K.GENERIC, False, 0),
    ("special_request_interrupted", "request interrupted by user", K.GENERIC, False, 0),
    ("special_operation_interrupted_beats_503", "status 503: operation interrupted", K.GENERIC, False, 503),
    ("special_no_tool_output", "No tool output found for function call call_8fJk2.", K.GENERIC, False, 0),
    ("special_missing_reasoning", "Item 'msg_1' of type 'message' was provided without its required 'reasoning' item: 'rs_2'.", K.GENERIC, False, 0),
    ("special_anthropic_truncated", "anthropic stream closed before message_stop", K.TIMEOUT, True, 0),
    ("special_responses_truncated", "openai responses stream closed before terminal event", K.TIMEOUT, True, 0),
    ("special_chat_completions_truncated", "OpenAI Chat Completions stream closed before finish_reason", K.TIMEOUT, True, 0),
    ("special_previous_response_not_found", "Previous response with id 'resp_abc123' not found.", K.GENERIC, True, 0),
    ("special_h2_reset_no_error_retries", "stream error: stream ID 1; NO_ERROR; received from peer", K.TIMEOUT, True, 0),
    ("special_h2_reset_internal_error_retries", "stream error: stream ID 3; INTERNAL_ERROR; received from peer", K.TIMEOUT, True, 0),
    ("special_h2_reset_cancel_retries", "stream error: stream ID 5; CANCEL; received from peer", K.TIMEOUT, True, 0),
    ("special_h2_reset_enhance_your_calm_retries", "stream error: stream ID 7; ENHANCE_YOUR_CALM; received from peer", K.TIMEOUT, True, 0),
    ("special_h2_reset_protocol_error_does_not_retry", "stream error: stream ID 9; PROTOCOL_ERROR; received from peer", K.GENERIC, False, 0),
    ("special_h2_reset_flow_control_does_not_retry", "stream error: stream ID 9; FLOW_CONTROL_ERROR", K.GENERIC, False, 0),
    ("special_h2_event_repr_refused_stream", "<StreamReset stream_id:1, error_code:7, remote_reset:True>", K.TIMEOUT, True, 0),
    ("special_h2_event_repr_protocol_error", "<StreamReset stream_id:1, error_code:ErrorCodes.PROTOCOL_ERROR, remote_reset:True>", K.GENERIC, False, 0),
]

PROVIDER_ROWS: list[RuleRow] = [
    # OpenAI
    ("openai_insufficient_quota_body_any_status", pe(429, {"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "code": "insufficient_quota"}}), K.USAGE_LIMIT, False, 429),
    ("openai_spend_limit_code_is_usage_limit", pe(429, {"error": {"message": "Organization spend limit exceeded.", "type": "rate_limit_error", "code": "organization_spend_limit_exceeded"}}), K.USAGE_LIMIT, False, 429),
    ("openai_slow_down_retries", pe(429, {"error": {"message": "Please reduce your request rate.", "type": "rate_limit_error", "code": "slow_down"}}), K.RATE_LIMIT, True, 429),
    ("openai_server_is_overloaded", pe(503, {"error": {"message": "The server is busy.", "type": "service_unavailable_error", "code": "server_is_overloaded"}}), K.OVERLOADED, True, 503),
    ("openai_invalid_prompt_is_content_filter", pe(400, {"error": {"message": "Invalid prompt: your prompt was flagged as potentially violating our usage policy.", "type": "invalid_request_error", "code": "invalid_prompt"}}), K.CONTENT_FILTER, False, 400),
    ("openai_in_stream_rate_limit_code", pe(None, {"error": {"message": "limit hit", "type": "tokens", "code": "rate_limit_exceeded"}}), K.RATE_LIMIT, True, 0),
    # Anthropic
    ("anthropic_billing_error_402", pe(402, {"type": "error", "error": {"type": "billing_error", "message": "Billing issue."}}), K.USAGE_LIMIT, False, 402),
    ("anthropic_request_too_large_413", pe(413, {"type": "error", "error": {"type": "request_too_large", "message": "Request exceeds the maximum allowed number of bytes."}}), K.CONTEXT_LENGTH, False, 413),
    ("anthropic_spend_limit_429_is_usage_limit", pe(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Spend limit reached.", "details": {"error_code": "enforced_spend_limit_reached"}}}), K.USAGE_LIMIT, False, 429),
    ("anthropic_usage_limits_400", pe(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC."}}), K.USAGE_LIMIT, False, 400),
    ("anthropic_timeout_error_504", pe(504, {"type": "error", "error": {"type": "timeout_error", "message": "Request timed out"}}), K.TIMEOUT, True, 504),
    ("anthropic_exceed_context_limit", pe(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000, decrease input length or `max_tokens` and try again"}}), K.CONTEXT_LENGTH, False, 400),
    # Google Gemini / Vertex
    ("gemini_resource_exhausted_per_minute_retries", pe(429, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}), K.RATE_LIMIT, True, 429),
    ("gemini_free_tier_limit_zero_never_by_waiting", pe(429, {"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro\nPlease retry in 38.9s.", "status": "RESOURCE_EXHAUSTED"}}), K.RATE_LIMIT, False, 429),
    ("gemini_per_day_quota_id_never_by_waiting", pe(429, {"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}, {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"}]}}), K.RATE_LIMIT, False, 429),
    ("gemini_resource_exhausted_text_without_status_is_not_usage", "Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model. RESOURCE_EXHAUSTED", K.RATE_LIMIT, True, 0),
    ("gemini_prepay_402_is_usage_limit", pe(402, {"error": {"code": 402, "message": "Your prepay credit balance is depleted.", "status": "RESOURCE_EXHAUSTED"}}), K.USAGE_LIMIT, False, 402),
    ("gemini_unavailable_503", pe(503, {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}), K.TIMEOUT, True, 503),
    ("gemini_model_overloaded_503", pe(503, {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}), K.OVERLOADED, True, 503),
    ("gemini_permission_denied", pe(403, {"error": {"code": 403, "message": "Method doesn't allow unregistered callers.", "status": "PERMISSION_DENIED"}}), K.AUTH, False, 403),
    ("gemini_api_key_invalid_400", pe(400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}), K.AUTH, False, 400),
    ("gemini_model_not_found_404", pe(404, {"error": {"code": 404, "message": "models/gemini-9-pro is not found for API version v1beta, or is not supported for generateContent.", "status": "NOT_FOUND"}}), K.CONFIG, False, 404),
    ("gemini_token_count_exceeds", pe(400, {"error": {"code": 400, "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}), K.CONTEXT_LENGTH, False, 400),
    ("gemini_safety_block", "Candidate was blocked due to SAFETY", K.CONTENT_FILTER, False, 0),
    ("gemini_invalid_argument_without_signal", pe(400, {"error": {"code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT"}}), K.GENERIC, False, 400),
    ("gemini_deadline_exceeded_504", pe(504, {"error": {"code": 504, "message": "Deadline expired before operation could complete.", "status": "DEADLINE_EXCEEDED"}}), K.TIMEOUT, True, 504),
    # AWS Bedrock
    ("bedrock_throttling_text", "An error occurred (ThrottlingException) when calling the InvokeModel operation: Too many tokens, please wait before trying again.", K.RATE_LIMIT, True, 0),
    ("bedrock_throttling_type_header_body", pe(429, {"message": "Too many requests, please wait before trying again."}, **{"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}), K.RATE_LIMIT, True, 429),
    ("bedrock_error_type_header_without_status", pe(None, {"message": "Request failed."}, **{"X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}), K.RATE_LIMIT, True, 0),
    ("bedrock_error_type_header_access_denied", pe(None, {"message": "Request failed."}, **{"x-amzn-errortype": "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/"}), K.AUTH, False, 0),
    ("azure_string_status_code_in_body", pe(None, {"error": {"code": "429", "message": "Requests have exceeded the call rate limit of your current tier."}}), K.RATE_LIMIT, True, 429),
    ("bedrock_service_unavailable", pe(503, {"message": "Bedrock is unable to process your request."}), K.TIMEOUT, True, 503),
    ("bedrock_model_not_ready_text", "An error occurred (ModelNotReadyException) when calling the InvokeModel operation: Model is not ready to serve inference requests.", K.TIMEOUT, True, 0),
    ("bedrock_access_denied", pe(403, {"message": "You don't have access to the model with the specified model ID."}), K.AUTH, False, 403),
    ("bedrock_validation_invalid_model_id", pe(400, {"message": "The provided model identifier is invalid."}), K.CONFIG, False, 400),
    ("bedrock_validation_input_too_long", pe(400, {"message": "Input is too long for requested model."}), K.CONTEXT_LENGTH, False, 400),
    ("bedrock_model_timeout_408", pe(408, {"message": "Model has timed out in processing the request."}), K.TIMEOUT, True, 408),
    ("bedrock_expired_token", "An error occurred (ExpiredTokenException) when calling the Converse operation: The security token included in the request is expired", K.AUTH, False, 0),
    ("bedrock_service_quota_400_resubmit_later", pe(400, {"__type": "ServiceQuotaExceededException", "message": "Your request exceeds the service quota for your account."}), K.RATE_LIMIT, True, 400),
    # Azure OpenAI
    ("azure_token_rate_limit_text_without_status", "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.", K.RATE_LIMIT, True, 0),
    ("azure_deployment_not_found_code", pe(404, {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}), K.CONFIG, False, 404),
    ("azure_content_filter_inner_error", pe(400, {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", "type": None, "param": "prompt", "code": "content_filter", "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation"}}}), K.CONTENT_FILTER, False, 400),
    ("azure_invalid_subscription_key", pe(401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint."}}), K.AUTH, False, 401),
    # OpenRouter
    ("openrouter_402_credits", pe(402, {"error": {"code": 402, "message": "This request requires more credits, or fewer max_tokens. You requested up to 4096 tokens, but can only afford 1000."}}), K.USAGE_LIMIT, False, 402),
    ("openrouter_403_moderation_is_content_filter", pe(403, {"error": {"code": 403, "message": 'meta-llama/llama-guard requires moderation on OpenRouter. Your input was flagged for "violence".'}}), K.CONTENT_FILTER, False, 403),
    ("openrouter_free_models_per_day", pe(429, {"error": {"code": 429, "message": "Rate limit exceeded: free-models-per-day."}}), K.RATE_LIMIT, False, 429),
    ("openrouter_not_a_valid_model", pe(400, {"error": {"code": 400, "message": "foo/bar is not a valid model ID"}}), K.CONFIG, False, 400),
    ("openrouter_no_endpoints", pe(404, {"error": {"code": 404, "message": "No endpoints found for foo/bar."}}), K.CONFIG, False, 404),
    # Ollama / vLLM
    ("ollama_model_not_pulled_string_error", pe(404, {"error": 'model "llama3" not found, try pulling it first'}), K.CONFIG, False, 404),
    ("ollama_runner_crashed_500", pe(500, {"error": "llama runner process has terminated: signal: killed"}), K.GENERIC, True, 500),
    ("vllm_max_model_len", pe(400, {"object": "error", "message": "The decoder prompt (length 5000) is longer than the maximum model length of 4096.", "type": "BadRequestError", "code": 400}), K.CONTEXT_LENGTH, False, 400),
    ("vllm_model_does_not_exist", pe(404, {"object": "error", "message": "The model `foo` does not exist.", "type": "NotFoundError", "code": 404}), K.CONFIG, False, 404),
]
# fmt: on

ALL_ROWS = RULE_ROWS + STATUS_ROWS + SPECIAL_ROWS + PROVIDER_ROWS


@pytest.mark.parametrize(
    ("error", "kind", "retryable", "status"),
    [r[1:] for r in ALL_ROWS],
    ids=[r[0] for r in ALL_ROWS],
)
def test_rule_table(
    error: str | BaseException, kind: ErrorKind, retryable: bool, status: int
) -> None:
    got = classify(error)
    assert (got.kind, got.retryable, got.status_code) == (kind, retryable, status)


def test_row_ids_are_unique() -> None:
    ids = [r[0] for r in ALL_ROWS]
    assert len(ids) == len(set(ids))
