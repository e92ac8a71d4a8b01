"""Machine-readable error codes (error types, gRPC statuses, class names) and their signals."""

from __future__ import annotations

from functools import lru_cache

from chatcore.errors._patterns import Signal

__all__ = ["CODE_SIGNALS", "code_signals", "normalize_code"]

# Machine-readable codes (error.type, error.code, status, __type, reasons,
# exception class names), normalised to lower case without namespaces.
CODE_SIGNALS: dict[str, tuple[str, ...]] = {
    # Anthropic / OpenAI / Gemini overload.
    "overloaded_error": (Signal.OVERLOADED,),
    "overloaded": (Signal.OVERLOADED,),
    "overloadederror": (Signal.OVERLOADED,),
    "engine_overloaded": (Signal.OVERLOADED,),
    "server_is_overloaded": (Signal.OVERLOADED,),
    # Usage limits.
    # Exhausted credit or a hard spend cap: usage limits even when sent as a 429.
    "insufficient_quota": (Signal.INSUFFICIENT_QUOTA,),
    "credit_balance_exhausted": (Signal.INSUFFICIENT_QUOTA,),
    "enforced_spend_limit_reached": (Signal.INSUFFICIENT_QUOTA,),
    "contract_spend_limit_reached": (Signal.INSUFFICIENT_QUOTA,),
    "linked_organization_spend_limit_reached": (Signal.INSUFFICIENT_QUOTA,),
    "organization_spend_limit_exceeded": (Signal.INSUFFICIENT_QUOTA,),
    "project_spend_limit_exceeded": (Signal.INSUFFICIENT_QUOTA,),
    "billing_error": (Signal.USAGE,),
    "billing_hard_limit_reached": (Signal.USAGE,),
    "billing_not_active": (Signal.USAGE,),
    "payment_required": (Signal.USAGE,),
    "paymentrequirederror": (Signal.USAGE,),
    "insufficient_credits": (Signal.USAGE,),
    # Authentication and permission.
    "invalid_api_key": (Signal.AUTH,),
    "authentication_error": (Signal.AUTH,),
    "authenticationerror": (Signal.AUTH,),
    "unauthenticated": (Signal.AUTH,),
    "unauthorized": (Signal.AUTH,),
    "api_key_invalid": (Signal.AUTH,),
    "api_key_expired": (Signal.AUTH,),
    "invalid_organization": (Signal.AUTH,),
    "unrecognizedclientexception": (Signal.AUTH,),
    "expiredtokenexception": (Signal.AUTH,),
    "invalidsignatureexception": (Signal.AUTH,),
    "incompletesignatureexception": (Signal.AUTH,),
    "missingauthenticationtokenexception": (Signal.AUTH,),
    "permission_error": (Signal.FORBIDDEN,),
    "permission_denied": (Signal.FORBIDDEN,),
    "permissiondeniederror": (Signal.FORBIDDEN,),
    "accessdeniedexception": (Signal.FORBIDDEN,),
    "forbidden": (Signal.FORBIDDEN,),
    "unsupported_country_region_territory": (Signal.FORBIDDEN,),
    # Rate limits (these codes stand for HTTP 429).
    "rate_limit_exceeded": (Signal.RATE, Signal.RATE_CODE),
    "rate_limit_error": (Signal.RATE, Signal.RATE_CODE),
    "ratelimiterror": (Signal.RATE, Signal.RATE_CODE),
    "resource_exhausted": (Signal.RATE, Signal.RATE_CODE),
    "throttlingexception": (Signal.RATE, Signal.RATE_CODE),
    "toomanyrequestsexception": (Signal.RATE, Signal.RATE_CODE),
    "too_many_requests": (Signal.RATE, Signal.RATE_CODE),
    "slow_down": (Signal.RATE, Signal.RATE_CODE),
    # Bedrock: "You can resubmit your request later" (sent as HTTP 400).
    "servicequotaexceededexception": (Signal.RATE, Signal.RATE_CODE),
    # Disabled provider.
    "provider_disabled": (Signal.DISABLED,),
    # Transient availability.
    "unavailable": (Signal.TIMEOUT,),
    "service_unavailable": (Signal.TIMEOUT,),
    "serviceunavailableexception": (Signal.TIMEOUT,),
    "deadline_exceeded": (Signal.TIMEOUT,),
    "timeout_error": (Signal.TIMEOUT,),
    "timeout": (Signal.TIMEOUT,),
    "modeltimeoutexception": (Signal.TIMEOUT,),
    "modelnotreadyexception": (Signal.TIMEOUT,),
    # Content policy.
    "content_filter": (Signal.CONTENT,),
    "content_policy_violation": (Signal.CONTENT,),
    "responsibleaipolicyviolation": (Signal.CONTENT,),
    "invalid_prompt": (Signal.CONTENT,),
    "moderation_blocked": (Signal.CONTENT,),
    "safety": (Signal.CONTENT,),
    "prohibited_content": (Signal.CONTENT,),
    "blocklist": (Signal.CONTENT,),
    "spii": (Signal.CONTENT,),
    "recitation": (Signal.CONTENT,),
    "image_safety": (Signal.CONTENT,),
    "refusal": (Signal.CONTENT,),  # Anthropic's stop_reason for a safety refusal
    "prompt_blocked": (Signal.CONTENT,),  # Gemini's promptFeedback.blockReason, any value
    # Configuration and context window.
    "model_not_found": (Signal.CONFIG,),
    "deploymentnotfound": (Signal.CONFIG,),
    "deployment_not_found": (Signal.CONFIG,),
    "invalid_model": (Signal.CONFIG,),
    "unknown_model": (Signal.CONFIG,),
    "unsupported_model": (Signal.CONFIG,),
    "model_not_supported": (Signal.CONFIG,),
    "operationnotsupported": (Signal.CONFIG,),
    "context_length_exceeded": (Signal.CONTEXT,),
    "context_window_exceeded": (Signal.CONTEXT,),
    "request_too_large": (Signal.CONTEXT,),
    "requesttoolargeerror": (Signal.CONTEXT,),
    "contenttoolargeerror": (Signal.CONTEXT,),
    "tokens_limit_reached": (Signal.CONTEXT,),
    "string_above_max_length": (Signal.CONTEXT,),
    "exceed_context_size_error": (Signal.CONTEXT,),  # llama.cpp's server
    "not_found_error": (Signal.NOT_FOUND,),
    "not_found": (Signal.NOT_FOUND,),
    "notfounderror": (Signal.NOT_FOUND,),
    "resourcenotfoundexception": (Signal.NOT_FOUND,),
    # Server errors (retryable generic).
    "server_error": (Signal.SERVER,),
    "api_error": (Signal.SERVER,),
    "internal": (Signal.SERVER,),
    "internal_error": (Signal.SERVER,),
    "internalservererror": (Signal.SERVER,),
    "internalserverexception": (Signal.SERVER,),
    "internalfailure": (Signal.SERVER,),
    # A choice that ended with finish_reason "error" (OpenRouter): failed upstream.
    "finish_reason_error": (Signal.SERVER,),
    # Gateways' own names (LiteLLM's error types).
    "throttling_error": (Signal.RATE, Signal.RATE_CODE),
    "budget_exceeded": (Signal.USAGE,),
}


def normalize_code(code: str) -> str:
    """`com.amazon#ThrottlingException:http://…` → `throttlingexception`."""
    value = code.strip().lower()
    value = value.rpartition("#")[2]
    return value.partition(":")[0].strip()


def code_signals(codes: list[str]) -> set[str]:
    """The signals of machine-readable codes (error types, gRPC statuses, class names)."""
    found: set[str] = set()
    for code in codes:
        found.update(_signals_of(code))
    return found


@lru_cache(maxsize=2048)
def _signals_of(code: str) -> tuple[str, ...]:
    # Codes come from a small vocabulary (types, statuses, class names): cached.
    return CODE_SIGNALS.get(normalize_code(code), ())
