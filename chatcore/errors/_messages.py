"""Provider ids and names, and the server-owned prose: terminal and retry messages.

Terminal messages say what happened plus one actionable hint and never carry an
HTTP status code (the UI shows it as a chip) nor "try again". Retry messages,
shown beside the countdown, are short factual statements without remediation.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Protocol

from chatcore.errors._kinds import ErrorKind

__all__ = [
    "REASON_CANCELED",
    "REASON_CHAIN_BROKEN",
    "REASON_CONTINUITY",
    "REASON_DEADLINE",
    "REASON_LONG_WAIT",
    "REASON_TLS",
    "REASON_TRUNCATED",
    "REASON_WAIT_FOREVER",
    "Described",
    "humanise_duration",
    "normalize_provider",
    "provider_display_name",
    "retry_message",
    "terminal_message",
    "terminal_text",
]


class Described(Protocol):
    """What the messages read from a classification (a `ClassifiedError` has it)."""

    @property
    def kind(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def retry_after(self) -> float: ...


_ALIASES: dict[str, str] = {
    "azure openai": "azure",
    "azure-openai": "azure",
    "azure_openai": "azure",
    "azureopenai": "azure",
    "openai compat": "openai-compat",
    "openai compatible": "openai-compat",
    "openai_compat": "openai-compat",
    "openai-compatible": "openai-compat",
    "openai_compatible": "openai-compat",
    "aws bedrock": "bedrock",
    "aws-bedrock": "bedrock",
    "amazon bedrock": "bedrock",
    "vercel ai gateway": "vercel",
    "vercel-ai-gateway": "vercel",
    "gemini": "google",
    "vertex": "google",
    "vertex ai": "google",
    "vertexai": "google",
    "claude": "anthropic",
}

_UNKNOWN_PROVIDER = "the AI provider"

_DISPLAY_NAMES: dict[str, str] = {
    "anthropic": "Anthropic",
    "azure": "Azure OpenAI",
    "bedrock": "AWS Bedrock",
    "google": "Google",
    "openai": "OpenAI",
    "openai-compat": "OpenAI Compatible",
    "openrouter": "OpenRouter",
    "vercel": "Vercel AI Gateway",
}

# Special-case reasons set by the classifier; they override the kind's template.
REASON_CANCELED = "canceled"
REASON_TRUNCATED = "truncated"
REASON_CHAIN_BROKEN = "chain_broken"
REASON_CONTINUITY = "continuity"
REASON_DEADLINE = "deadline"
REASON_WAIT_FOREVER = "not_by_waiting"
REASON_LONG_WAIT = "long_wait"  # a stated wait longer than a chat waits: says until when
REASON_TLS = "tls"

# "{p}" is the provider's display name at sentence start.
_TERMINAL: dict[str, str] = {
    ErrorKind.OVERLOADED: "{p} is overloaded and could not answer. Send the message again later.",
    ErrorKind.RATE_LIMIT: "{p} kept rate limiting the request. Send the message again later.",
    ErrorKind.TIMEOUT: "{p} did not respond in time. Send the message again.",
    ErrorKind.STARTUP_TIMEOUT: "{p} did not start responding in time. Send the message again.",
    ErrorKind.AUTH: "{p} rejected the credentials. Check the API key and permissions.",
    ErrorKind.CONFIG: "{p} rejected the model configuration. Check the selected model.",
    ErrorKind.USAGE_LIMIT: (
        "{p} reports that the usage quota is exhausted. Check billing and quota."
    ),
    ErrorKind.MISSING_KEY: (
        "The API key this chat was started with no longer exists. Contact an administrator."
    ),
    ErrorKind.PROVIDER_DISABLED: "{p} has been disabled. Contact an administrator.",
    ErrorKind.CONTEXT_LENGTH: (
        "The conversation is too long for the selected model. Start a new chat "
        "or check the selected model."
    ),
    ErrorKind.CONTENT_FILTER: (
        "{p}'s safety system declined the request. Rephrase the message and send it again."
    ),
    ErrorKind.GENERIC: "{p} returned an unexpected error. Send the message again.",
}

_RETRY: dict[str, str] = {
    ErrorKind.OVERLOADED: "{p} is temporarily overloaded.",
    ErrorKind.RATE_LIMIT: "{p} is rate limiting requests.",
    ErrorKind.TIMEOUT: "{p} is temporarily unavailable.",
    ErrorKind.STARTUP_TIMEOUT: "{p} did not start responding in time.",
    ErrorKind.AUTH: "{p} rejected the credentials.",
    ErrorKind.CONFIG: "{p} rejected the model configuration.",
    ErrorKind.USAGE_LIMIT: "{p} reports that the usage quota is exhausted.",
    ErrorKind.MISSING_KEY: "The API key this chat was started with no longer exists.",
    ErrorKind.PROVIDER_DISABLED: "{p} has been disabled.",
    ErrorKind.CONTEXT_LENGTH: "The conversation is too long for the selected model.",
    ErrorKind.CONTENT_FILTER: "{p}'s safety system declined the request.",
    ErrorKind.GENERIC: "{p} returned an unexpected error.",
}

_SPECIAL_TERMINAL: dict[str, str] = {
    REASON_CANCELED: "The request was canceled.",
    REASON_TRUNCATED: "{p} stream closed unexpectedly before the response completed.",
    REASON_CHAIN_BROKEN: (
        "{p} no longer has the previous response of this conversation. "
        "Send the message again to resend the full history."
    ),
    REASON_CONTINUITY: (
        "{p} rejected the conversation history as incomplete. Send the message again."
    ),
    REASON_DEADLINE: "{p} did not answer before the request deadline. Send the message again.",
    REASON_WAIT_FOREVER: (
        "{p} rejected the request because it exceeds the account's rate limit. "
        "Check billing and quota."
    ),
    REASON_LONG_WAIT: (
        "{p} accepts requests again in {wait}; that is longer than automatic retries "
        "wait. Send the message again after that time."
    ),
    REASON_TLS: (
        "The connection to {p} failed certificate verification. Check the provider's "
        "address and the certificates this server trusts."
    ),
}

_SPECIAL_RETRY: dict[str, str] = {
    REASON_CANCELED: "The request was canceled.",
    REASON_TRUNCATED: "{p} stream closed unexpectedly before the response completed.",
    REASON_CHAIN_BROKEN: "{p} no longer has the previous response of this conversation.",
    REASON_CONTINUITY: "{p} rejected the conversation history as incomplete.",
    REASON_DEADLINE: "{p} did not answer before the request deadline.",
    REASON_WAIT_FOREVER: "{p} rejected the request because it exceeds the rate limit.",
    REASON_LONG_WAIT: "{p} accepts requests again in {wait}.",
    REASON_TLS: "The connection to {p} failed certificate verification.",
}


def normalize_provider(provider: str | None) -> str:
    """Trimmed, lower-cased provider id with aliases folded; empty when unknown."""
    if not provider:
        return ""
    return _normalized(provider) if isinstance(provider, str) else _normalized(str(provider))


@lru_cache(maxsize=256)
def _normalized(provider: str) -> str:
    value = " ".join(str(provider).strip().lower().split())
    return _ALIASES.get(value, value)


def provider_display_name(provider: str | None) -> str:
    """Human name of a provider id or alias; "the AI provider" when unknown."""
    return _DISPLAY_NAMES.get(normalize_provider(provider), _UNKNOWN_PROVIDER)


def terminal_message(classified: Described) -> str:
    """What happened plus one actionable hint, for a failure that will not be retried."""
    return terminal_text(classified.kind, classified.provider, classified.reason, _wait(classified))


@lru_cache(maxsize=512)
def terminal_text(kind: str, provider: str, reason: str = "", wait: float = 0.0) -> str:
    """The terminal message for a kind, a provider id, a special-case reason and a wait."""
    template = _SPECIAL_TERMINAL.get(reason) or _TERMINAL.get(
        kind or ErrorKind.GENERIC, _TERMINAL[ErrorKind.GENERIC]
    )
    return _fill(template, provider, wait)


def retry_message(classified: Described) -> str:
    """A short factual statement shown beside the retry countdown."""
    return _retry_text(classified.kind, classified.provider, classified.reason, _wait(classified))


@lru_cache(maxsize=512)
def _retry_text(kind: str, provider: str, reason: str, wait: float) -> str:
    template = _SPECIAL_RETRY.get(reason) or _RETRY.get(
        kind or ErrorKind.GENERIC, _RETRY[ErrorKind.GENERIC]
    )
    return _fill(template, provider, wait)


def _wait(classified: Described) -> float:
    # Only the long-wait message reads it; any other reason caches one entry per kind.
    return classified.retry_after if classified.reason == REASON_LONG_WAIT else 0.0


def _fill(template: str, provider: str, wait: float = 0.0) -> str:
    name = provider_display_name(provider)
    when = humanise_duration(wait) if "{wait}" in template else ""
    if template.startswith("{p}"):
        return template.format(p=name[0].upper() + name[1:], wait=when)
    return template.format(p=name, wait=when)


_UNITS: tuple[tuple[str, int], ...] = (
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


def humanise_duration(seconds: float) -> str:
    """``4_000`` → "1 hour 7 minutes": at most two units, rounded up, never "0 seconds".

    Rounding up (to seconds, minutes or hours by magnitude) matters: saying
    "1 hour" for 1 h 0 min 30 s would invite the user back half a minute early.
    """
    if not math.isfinite(seconds):
        seconds = 0.0
    total = max(math.ceil(seconds), 1)
    step = 1 if total < 60 else 60 if total < 86_400 else 3_600
    remaining = math.ceil(total / step) * step
    parts: list[str] = []
    for name, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}" if count == 1 else f"{count} {name}s")
    return " ".join(parts)
