"""The phrases the classifier recognises in error texts, and the signals they give, as data.

Every phrase is matched against lower-cased text, starting at the beginning of a
word; `(?<![a-z])` / `(?![a-z])` stand in for word boundaries where `\b` would
fail next to `_` (as in `billing_error`). Patterns are compiled once, at import.

Each row also states its index keys: the first (up to) four letters of every
word the pattern can begin with, where a word is a run of `a`-`z` (so `don't`
begins with `don`, `per[ _-]?day` with `per` or `perd`). The scanner tries a
pattern only at words that begin with one of its keys, so a key left out here
means a phrase that is never found; a test derives the keys from the patterns
and checks every row against them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["PATTERNS", "PROVIDER_PATTERNS", "Phrase", "Signal"]


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
    CANCELED = "canceled"  # "chat interrupted" and the like: a cancellation
    # Go's "context canceled" / "request canceled": our own cancellation, unless
    # the text also shows an upstream failure it was the consequence of.
    GO_CANCELED = "go_canceled"
    TLS = "tls"  # certificate verification failed: configuration, not transient
    RETRY_HINT = "retry_hint"  # "you can retry your request": a transient server error
    CONTINUITY = "continuity"  # OpenAI Responses history errors (tool output, reasoning item)
    TRUNCATED = "truncated"  # a stream that ended before its terminal event
    CHAIN_BROKEN = "chain_broken"  # the previous response of a chained turn is gone
    H2_RESET = "h2_reset"  # text form of an HTTP/2 RST_STREAM; the code is read separately


class Phrase(NamedTuple):
    """One row of a phrase table: what it signals, its index keys, its pattern."""

    signal: str
    keys: tuple[str, ...]
    pattern: str


def _after(*words: str) -> str:
    """A lookbehind for any of ``words`` (each of fixed width).

    A phrase whose first word is common ("request", "chat") is indexed on a rarer
    word that follows it ("interrupted"): the scan tries each row at every word
    that begins with one of its keys, so keys on common words cost at every one.
    """
    return "(?:" + "|".join(f"(?<={re.escape(word)})" for word in words) + ")"


def _subjects(*nouns: str) -> tuple[str, ...]:
    """``"input "``, ``"input was "``, ``"input is "``, ``"input has been "``, ... for each noun."""
    return tuple(f"{noun} {verb}" for noun in nouns for verb in ("", "was ", "is ", "has been "))


# (signal, index keys separated by spaces, pattern); one signal may have many rows.
_PHRASES: tuple[tuple[str, str, str], ...] = (
    # Special cases.
    (
        Signal.CANCELED,
        "inte",
        _after(*_subjects("chat", "request", "operation")) + "interrupted",
    ),
    (Signal.CANCELED, "canc", _after(*_subjects("chat", "operation")) + r"cancell?ed"),
    (Signal.GO_CANCELED, "canc", _after(*_subjects("context", "request")) + r"cancell?ed"),
    (Signal.CONTINUITY, "no", r"no tool output found for function call"),
    (Signal.CONTINUITY, "was", r"was provided without its required '?reasoning'? item"),
    (
        Signal.TRUNCATED,
        "stre",
        r"stream (?:was )?(?:closed|ended|terminated|finished)"
        r"(?: unexpectedly| prematurely| early)? before",
    ),
    (Signal.TRUNCATED, "trun stre", r"truncated (?:response )?stream|stream (?:was )?truncated"),
    (Signal.CHAIN_BROKEN, "prev", r"previous response with id\b[^\n]{0,200}?\bnot found"),
    (Signal.CHAIN_BROKEN, "prev", r"previous_response_not_found"),
    (
        Signal.H2_RESET,
        "stre rst nght",
        r"stream error: stream id \d+|streamreset stream_id|rst_stream|nghttp2_[a-z]",
    ),
    # Overloaded.
    (Signal.OVERLOADED, "over", r"overload"),
    # Usage limits.
    (Signal.INSUFFICIENT_QUOTA, "insu", r"insufficient[_ ]quota"),
    (Signal.USAGE, "quot", r"(?<![a-z])quotas?(?![a-z])"),
    (Signal.USAGE, "bill", r"(?<![a-z])billing(?![a-z])"),
    (Signal.USAGE, "paym", r"payment[_ ]required"),
    (Signal.USAGE, "cred insu", r"credit balance|insufficient[_ ](?:credits?|balance|funds)"),
    (
        Signal.USAGE,
        "more out no can bala",
        r"(?:more|out of|no) credits|can only afford|balance is too low",
    ),
    (
        Signal.USAGE,
        "api spen mont usag",
        r"(?:api |spend(?:ing)? |monthly )?usage limits?(?![a-z])|spend(?:ing)? limit",
    ),
    # Gateways' own spend caps (LiteLLM's BudgetExceededError and "over budget").
    (
        Signal.USAGE,
        "budg exce over",
        r"budget (?:has been )?exceeded|exceeded (?:the |your )?budget|budgetexceeded|over budget",
    ),
    # Authentication.
    (Signal.AUTH, "auth unau", r"authentication|unauthori[sz]ed|unauthenticated"),
    (
        Signal.AUTH,
        "inva inco api",
        r"invalid[_ ]api[_ ]key|invalid x-api-key|incorrect api key|api_key_invalid",
    ),
    (
        Signal.AUTH,
        "inva inco miss expi revo no prov",
        r"(?:invalid|incorrect|missing|expired|revoked|no|provide an?) "
        r"(?:api[ _-]?key|bearer token|access token|auth(?:orization)? (?:token|header)"
        r"|auth credentials|subscription key)",
    ),
    (
        Signal.AUTH,
        "api apik",
        r"api[ _-]?key (?:is )?(?:not valid|invalid|expired|revoked|missing|required)",
    ),
    (
        Signal.AUTH,
        "secu",
        r"security token included in the request is (?:invalid|expired)",
    ),
    (Signal.AUTH, "user auth", r"user not found|auth(?:entication)? credentials"),
    # Permissions.
    (
        Signal.FORBIDDEN,
        "forb perm acce",
        r"forbidden|permission[_ ]?denied|permission_error|access ?denied",
    ),
    (Signal.FORBIDDEN, "not do does", r"not authori[sz]ed to|(?:do|does) not have permission"),
    (Signal.FORBIDDEN, "don do does", r"(?:don't|do not|does not) have access to the model"),
    # Rate limits.
    (Signal.RATE, "rate too thro", r"rate[ _-]?limit|too many requests|throttl"),
    (Signal.RATE_CODE, "reso", r"resource[_ ]exhausted|resource has been exhausted"),
    (Signal.RATE, "too", r"too many tokens,? please wait"),
    (Signal.RATE, "per", _after("tokens ", "requests ") + r"per (?:min(?:ute)?|hour)(?![a-z])"),
    (
        Signal.NEVER_BY_WAITING,
        "per perd rpd tpd dail limi",
        r"per[ _-]?day|(?<![a-z])(?:rpd|tpd)(?![a-z])|daily (?:limit|quota|request)"
        r"|limit: 0(?![\d.])",
    ),
    (Signal.NEVER_BY_WAITING, "too", _after("request ") + "too large for"),
    # Disabled provider.
    (Signal.DISABLED, "prov", r"provider_disabled|provider (?:has been |is )?disabled"),
    # Transient transport / availability.
    (
        Signal.TIMEOUT,
        "time dead",
        r"timeout|(?<![a-z])time[ -]out(?![a-z])|timed out|deadline[_ ]exceeded",
    ),
    (Signal.TIMEOUT, "serv unav temp", r"service[ _]?unavailable|unavailable|temporarily unable"),
    (
        Signal.TIMEOUT,
        "conn rese",
        r"connection[ _]?(?:reset|refused|aborted|closed|error|lost|terminated|broken)"
        r"|reset by peer",
    ),
    (
        Signal.TIMEOUT,
        "unex eof brok sock",
        r"(?<![a-z])(?:unexpected )?eof(?![a-z])|broken pipe|socket hang up",
    ),
    (
        Signal.TIMEOUT,
        "bad badg gate upst goaw",
        r"bad[ _]?gateway|gateway[ _]?time-?out|upstream connect error|goaway",
    ),
    (
        Signal.TIMEOUT,
        "use forc inco",
        r"use of closed network connection|force closed|incomplete chunked read",
    ),
    (Signal.TIMEOUT, "peer serv disc", r"peer closed connection|server disconnected|disconnected"),
    (Signal.TIMEOUT, "econ etim netw", r"econnreset|econnrefused|etimedout|network error"),
    # Go's HTTP/2 transport and server, relayed as text by gateways written in Go. The
    # row starts after "http2: " (a lookbehind): "http" words are everywhere (URLs,
    # "HTTP 429"), and a key on them would cost a try at each.
    (
        Signal.TIMEOUT,
        "stre clie serv tran time",
        r"(?<=http2: )(?:stream closed|client conn(?:ection)?(?: is)? (?:closed|not usable|lost"
        r"|could not be established|not established|force closed)|server sent goaway"
        r"|transport received server's graceful shutdown goaway"
        r"|timeout awaiting response headers)",
    ),
    (Signal.TIMEOUT, "prov", r"provider[ _]?transport[ _]?reset"),
    # aiohttp, urllib3 / requests, and chunked bodies cut short or garbled on the way.
    (
        Signal.TIMEOUT,
        "cann conn payl clie serv",
        r"cannot connect to host|connect call failed|(?<=response )payload is not completed"
        r"|cannot write to closing transport|client(?:connector|os|payload)error"
        r"|serverdisconnectederror",
    ),
    (
        Signal.TIMEOUT,
        "tran cont not",
        r"transferencodingerror|contentlengtherror|not enough data (?:for|to) satisfy",
    ),
    (
        Signal.TIMEOUT,
        "inco remo fail chun newc",
        r"incomplete ?read|remote ?end closed connection|remotedisconnected"
        r"|failed to establish a new connection|chunkedencodingerror|newconnectionerror",
    ),
    (
        Signal.TIMEOUT,
        "inva ille bad malf hpe",
        r"(?:invalid|illegal|bad|malformed) (?:byte in )?chunk(?:ed)?[ _-]?"
        r"(?:length|size|header|encoding|data)|invalidchunklength"
        r"|invalid character in chunk size|hpe_invalid_chunk_size",
    ),
    (Signal.TIMEOUT, "no", r"no healthy upstream"),
    (Signal.TIMEOUT, "mode", r"model (?:is )?(?:not ready|loading|currently loading)"),
    # Content policy.
    (
        Signal.CONTENT,
        "cont",
        r"content[_ ]?(?:filter|policy|management policy)|content_policy_violation",
    ),
    (Signal.CONTENT, "resp proh", r"responsibleaipolicyviolation|prohibited[_ ]content"),
    (
        Signal.CONTENT,
        "safe bloc",
        r"safety (?:system|filters?|settings|reasons?)|blocked (?:due to|for) safety",
    ),
    (Signal.CONTENT, "bloc fini", r"block[_ ]?reason|finish[_ ]?reason\W{0,4}safety"),
    (
        Signal.CONTENT,
        "flag",
        r"flagged as (?:potentially )?(?:violating|inappropriate|unsafe)",
    ),
    (
        Signal.CONTENT,
        "flag",
        _after(*_subjects("input", "prompt", "content", "request", "message")) + "flagged",
    ),
    (Signal.CONTENT, "viol", r"violat\w* (?:our|the|openai's) (?:usage|content) polic"),
    # Certificate verification: the endpoint or its certificates are misconfigured,
    # and asking again gets the same certificate (a config signal).
    (
        Signal.TLS,
        "cert",
        r"certificate[ _]verif(?:y|ication)[ _]failed|certificate has expired"
        r"|certificate is (?:not (?:yet )?valid|valid for)|certificate signed by unknown"
        r"|cert_has_expired",
    ),
    (
        Signal.TLS,
        "sslc self unab dept err host x tls tlsv",
        r"sslcertverificationerror|self[ _-]signed[ _]cert(?:ificate)?"
        r"|unable to (?:get local issuer certificate|verify the first certificate"
        r"|verify leaf signature)|unable_to_(?:verify_leaf_signature|get_issuer_cert)"
        r"|depth_zero_self_signed_cert|err_tls_cert_altname_invalid|hostname mismatch"
        r"|x509: |tls: failed to verify|tlsv1 alert unknown ca",
    ),
    (Signal.TLS, "ssl wron", r"(?:ssl: )?wrong[ _]version[ _]number"),
    # Context window (a config signal).
    (Signal.CONTEXT, "cont maxi", r"context[ _-]?(?:length|window|limit|size)|maximum context"),
    (
        Signal.CONTEXT,
        "cont exce",
        r"context (?:was |is |has been )?(?:exceeded|overflow)"
        r"|exceed(?:s|ed)? (?:the )?(?:model'?s? )?(?:max(?:imum)? |available )?context",
    ),
    # TGI: "`inputs` tokens + `max_new_tokens` must be <= 4096", "`inputs` must have less
    # than 1024 tokens"; xAI "maximum prompt length"; Cohere "total number of tokens in
    # the prompt cannot exceed".
    (
        Signal.CONTEXT,
        "inpu maxi tota",
        r"inputs`? (?:tokens \+ `?max_new_tokens`? must be|must have less than \d+ tokens)"
        r"|maximum prompt length|total number of tokens in the prompt",
    ),
    (
        Signal.CONTEXT,
        "prom inpu stri",
        r"prompt (?:is )?too long|input (?:is )?too long|string too long",
    ),
    (Signal.CONTEXT, "inpu prom", r"(?:input|prompt) (?:token count|length)[^.\n]{0,80}?exceeds"),
    (
        Signal.CONTEXT,
        "exce",
        r"exceeds the maximum (?:number of tokens|allowed number of bytes)",
    ),
    (
        Signal.CONTEXT,
        "maxi max redu",
        r"maximum model length|max_model_len|reduce the length of the (?:messages|prompt|input)",
    ),
    (
        Signal.CONTEXT,
        "toke too",
        r"tokens_limit_reached|too many (?:input )?tokens in|too many (?:input|prompt) tokens",
    ),
    # Model / configuration.
    (
        Signal.CONFIG,
        "inva unkn unsu none mode",
        r"(?:invalid|unknown|unsupported|nonexistent)[_ ]model|model[_ ]?not[_ ]?found",
    ),
    (Signal.CONFIG, "malf not no", r"malformed config|not a valid model|no endpoints found"),
    (
        Signal.CONFIG,
        "mode not no",
        r"model identifier is invalid|not a chat model|no models? (?:are |is )?loaded",
    ),
    (Signal.CONFIG, "does on", r"does not work with the specified model|on-demand throughput"),
    (
        Signal.CONFIG,
        "mode",
        r"(?<![a-z])models?(?![a-z])[^.\n]{0,100}?(?:not found|does not exist|doesn't exist"
        r"|is not supported|not supported for|is not available|isn't supported|doesn't support)",
    ),
    (
        Signal.CONFIG,
        "depl",
        r"deployment(?:notfound|_not_found|[^.\n]{0,60}?(?:does not exist|not found))",
    ),
    # Server errors.
    (
        Signal.SERVER,
        "inte serv",
        r"internal[_ ]?server[_ ]?error|server[_ ]error|internal[_ ]error",
    ),
    (Signal.SERVER, "inte api", r"internal failure|internalserverexception|api_error"),
    # "You can retry your request": a transient failure in the provider's own words
    # (a server error only when no 4xx status says otherwise).
    (
        Signal.RETRY_HINT,
        "can may retr safe try",
        r"can (?:be )?retried|can retry|may be retried|retry (?:your|the) request|safe to retry"
        r"|(?<=please )(?:retry|try again)|try again later",
    ),
    # Context for not-found codes.
    (Signal.MODEL, "mode", r"(?<![a-z])models?(?![a-z])"),
    (Signal.NOT_FOUND, "not notf", r"notfounderror|not_found_error"),
)
PATTERNS: tuple[Phrase, ...] = tuple(Phrase(s, tuple(k.split()), p) for s, k, p in _PHRASES)

# Provider detection from text, first match wins: the more specific names come
# before the ones they contain ("azure openai" before "openai", "openai-compat"
# before "openai"). The signal of a row is its provider id.
PROVIDER_PATTERNS: tuple[Phrase, ...] = tuple(
    Phrase(provider, tuple(keys.split()), pattern)
    for provider, keys, pattern in (
        ("openai-compat", "open", r"openai[-_ ]compat(?:ible)?"),
        ("azure", "azur", r"azure[-_ ]openai"),
        ("openrouter", "open", r"openrouter"),
        ("bedrock", "bedr", r"bedrock"),
        ("vercel", "verc", r"vercel"),
        ("anthropic", "anth clau", r"anthropic|claude"),
        ("google", "goog gemi vert", r"google|gemini|vertex"),
        ("openai", "open", r"openai"),
    )
)
