"""The stable error kinds, and the humanised labels the UI shows for them in a pill."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ErrorKind", "kind_label"]


class ErrorKind(StrEnum):
    """What went wrong, as a stable JSON string."""

    OVERLOADED = "overloaded"
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    STARTUP_TIMEOUT = "startup_timeout"
    AUTH = "auth"
    CONFIG = "config"
    USAGE_LIMIT = "usage_limit"
    MISSING_KEY = "missing_key"
    PROVIDER_DISABLED = "provider_disabled"
    CONTEXT_LENGTH = "context_length"
    CONTENT_FILTER = "content_filter"
    GENERIC = "generic"


# Labels that differ from a plain humanisation of the value.
_LABELS: dict[str, str] = {
    ErrorKind.GENERIC: "Unexpected error",
    ErrorKind.AUTH: "Authentication",
    ErrorKind.CONFIG: "Configuration",
    ErrorKind.MISSING_KEY: "Missing API key",
}


def kind_label(kind: str) -> str:
    """The pill text for a kind; unknown kinds are humanised from their words, never raw."""
    key = str(kind).strip().lower()
    if not key:
        return _LABELS[ErrorKind.GENERIC]
    if key in _LABELS:
        return _LABELS[key]
    words = " ".join(key.replace("_", " ").replace("-", " ").replace(".", " ").split())
    if not words:
        return _LABELS[ErrorKind.GENERIC]
    return words[0].upper() + words[1:]
