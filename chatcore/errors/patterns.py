"""The phrases and machine codes the classifier recognises, as data.

Every pattern is matched against lower-cased text, starting at the beginning of a
word (see `scanner`); `(?<![a-z])` / `(?![a-z])` stand in for word boundaries
where `\b` would fail next to `_` (as in `billing_error`). Patterns are compiled
once, at import.
"""

from __future__ import annotations

__all__ = ["CODE_SIGNALS", "PATTERNS", "Signal"]


class Signal:
    """Names of the signals a text or a code can carry (plain strings, compared fast)."""

    OVERLOADED = "overloaded"
    INSUFFICIENT_QUOTA = "insufficient_quota"  # usage limit at any status
    USAGE = "usage"  # quota / billing / payment: usage limit unless the status is 429
    AUTH = "auth"  # 401-like: bad or missing credentials
    FORBIDDEN = "forbidden"  # 403-like: valid credentials without permission
    RATE = "rate"
    RATE_CODE = "rate_code"  # a machine code that means HTTP 429 (RESOURCE_EXHAUSTED, ...)
    NEVER_BY_WAITING = "never_by_waiting"  # a 429 that waiting cannot fix
    DISABLED = "disabled"
    TIMEOUT = "timeout"
    CONTENT = "content"
    CONFIG = "config"
    CONTEXT = "context"  # context-window phrases: a config signal reported as context_length
    SERVER = "server"
    NOT_FOUND = "not_found"  # a not-found code: config when the text is about a model
    MODEL = "model"
    CANCELED = "canceled"  # special case 1
    CONTINUITY = "continuity"  # special case 2
    TRUNCATED = "truncated"  # special case 3
    CHAIN_BROKEN = "chain_broken"  # special case 4
    H2_RESET = "h2_reset"  # text form of an HTTP/2 RST_STREAM; the code is read separately


PATTERNS: tuple[tuple[str, str], ...] = (
    # Special cases.
    (Signal.CANCELED, r"(?:chat|request|operation|context) (?:was )?(?:interrupted|cancell?ed)"),
    (Signal.CONTINUITY, r"no tool output found for function call"),
    (Signal.CONTINUITY, r"was provided without its required '?reasoning'? item"),
    (
        Signal.TRUNCATED,
        r"stream (?:was )?(?:closed|ended|terminated|finished)"
        r"(?: unexpectedly| prematurely| early)? before",
    ),
    (Signal.TRUNCATED, r"truncated (?:response )?stream|stream (?:was )?truncated"),
    (Signal.CHAIN_BROKEN, r"previous response with id\b[^\n]{0,200}?\bnot found"),
    (Signal.CHAIN_BROKEN, r"previous_response_not_found"),
    (Signal.H2_RESET, r"stream error: stream id \d+|streamreset stream_id|rst_stream"),
    # Overloaded.
    (Signal.OVERLOADED, r"overload"),
    # Usage limits.
    (Signal.INSUFFICIENT_QUOTA, r"insufficient[_ ]quota"),
    (Signal.USAGE, r"(?<![a-z])quotas?(?![a-z])"),
    (Signal.USAGE, r"(?<![a-z])billing(?![a-z])"),
    (Signal.USAGE, r"payment[_ ]required"),
    (Signal.USAGE, r"credit balance|insufficient[_ ](?:credits?|balance|funds)"),
    (Signal.USAGE, r"(?:more|out of|no) credits|can only afford|balance is too low"),
    (Signal.USAGE, r"(?:api |spend(?:ing)? |monthly )?usage limits?(?![a-z])|spend(?:ing)? limit"),
    # Authentication.
    (Signal.AUTH, r"authentication|unauthori[sz]ed|unauthenticated"),
    (Signal.AUTH, r"invalid[_ ]api[_ ]key|invalid x-api-key|incorrect api key|api_key_invalid"),
    (
        Signal.AUTH,
        r"(?:invalid|incorrect|missing|expired|revoked|no|provide an?) "
        r"(?:api[ _-]?key|bearer token|access token|auth(?:orization)? (?:token|header)"
        r"|auth credentials|subscription key)",
    ),
    (Signal.AUTH, r"api[ _-]?key (?:is )?(?:not valid|invalid|expired|revoked|missing|required)"),
    (Signal.AUTH, r"security token included in the request is (?:invalid|expired)"),
    (Signal.AUTH, r"user not found|auth(?:entication)? credentials"),
    # Permissions.
    (Signal.FORBIDDEN, r"forbidden|permission[_ ]?denied|permission_error|access ?denied"),
    (Signal.FORBIDDEN, r"not authori[sz]ed to|(?:do|does) not have permission"),
    (Signal.FORBIDDEN, r"(?:don't|do not|does not) have access to the model"),
    # Rate limits.
    (Signal.RATE, r"rate[ _-]?limit|too many requests|throttl"),
    (Signal.RATE_CODE, r"resource[_ ]exhausted|resource has been exhausted"),
    (Signal.RATE, r"too many tokens,? please wait"),
    (Signal.RATE, r"(?:tokens|requests) per (?:min(?:ute)?|hour)(?![a-z])"),
    (
        Signal.NEVER_BY_WAITING,
        r"per[ _-]?day|(?<![a-z])(?:rpd|tpd)(?![a-z])|daily (?:limit|quota|request)"
        r"|limit: 0(?![\d.])|request too large for",
    ),
    # Disabled provider.
    (Signal.DISABLED, r"provider_disabled|provider (?:has been |is )?disabled"),
    # Transient transport / availability.
    (Signal.TIMEOUT, r"timeout|(?<![a-z])time[ -]out(?![a-z])|timed out|deadline[_ ]exceeded"),
    (Signal.TIMEOUT, r"service[ _]?unavailable|unavailable|temporarily unable"),
    (
        Signal.TIMEOUT,
        r"connection[ _]?(?:reset|refused|aborted|closed|error|lost|terminated)|reset by peer",
    ),
    (Signal.TIMEOUT, r"(?<![a-z])(?:unexpected )?eof(?![a-z])|broken pipe|socket hang up"),
    (Signal.TIMEOUT, r"bad[ _]?gateway|gateway[ _]?time-?out|upstream connect error|goaway"),
    (Signal.TIMEOUT, r"use of closed network connection|force closed|incomplete chunked read"),
    (Signal.TIMEOUT, r"peer closed connection|server disconnected|disconnected"),
    (Signal.TIMEOUT, r"econnreset|econnrefused|etimedout|network error"),
    (Signal.TIMEOUT, r"model (?:is )?(?:not ready|loading|currently loading)"),
    # Content policy.
    (Signal.CONTENT, r"content[_ ]?(?:filter|policy|management policy)|content_policy_violation"),
    (Signal.CONTENT, r"responsibleaipolicyviolation|prohibited[_ ]content"),
    (Signal.CONTENT, r"safety (?:system|filters?|settings|reasons?)|blocked (?:due to|for) safety"),
    (Signal.CONTENT, r"block[_ ]?reason|finish[_ ]?reason\W{0,4}safety"),
    (Signal.CONTENT, r"flagged as (?:potentially )?(?:violating|inappropriate|unsafe)"),
    (Signal.CONTENT, r"(?:input|prompt|content|request|message) (?:was |is |has been )?flagged"),
    (Signal.CONTENT, r"violat\w* (?:our|the|openai's) (?:usage|content) polic"),
    # Context window (a config signal).
    (Signal.CONTEXT, r"context[ _-]?(?:length|window|limit|size)|maximum context"),
    (Signal.CONTEXT, r"prompt (?:is )?too long|input (?:is )?too long|string too long"),
    (Signal.CONTEXT, r"(?:input|prompt) (?:token count|length)[^.\n]{0,80}?exceeds"),
    (Signal.CONTEXT, r"exceeds the maximum (?:number of tokens|allowed number of bytes)"),
    (Signal.CONTEXT, r"maximum model length|max_model_len|reduce the length of the messages"),
    (Signal.CONTEXT, r"tokens_limit_reached|too many (?:input )?tokens in"),
    # Model / configuration.
    (
        Signal.CONFIG,
        r"(?:invalid|unknown|unsupported|nonexistent)[_ ]model|model[_ ]?not[_ ]?found",
    ),
    (Signal.CONFIG, r"malformed config|not a valid model|no endpoints found"),
    (Signal.CONFIG, r"model identifier is invalid|not a chat model|no models? (?:are |is )?loaded"),
    (Signal.CONFIG, r"does not work with the specified model|on-demand throughput"),
    (
        Signal.CONFIG,
        r"(?<![a-z])models?(?![a-z])[^.\n]{0,100}?(?:not found|does not exist|doesn't exist"
        r"|is not supported|not supported for|is not available|isn't supported|doesn't support)",
    ),
    (Signal.CONFIG, r"deployment(?:notfound|_not_found|[^.\n]{0,60}?(?:does not exist|not found))"),
    # Server errors.
    (Signal.SERVER, r"internal[_ ]?server[_ ]?error|server[_ ]error|internal[_ ]error"),
    (Signal.SERVER, r"internal failure|internalserverexception|api_error"),
    # Context for not-found codes.
    (Signal.MODEL, r"(?<![a-z])models?(?![a-z])"),
)

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
}
