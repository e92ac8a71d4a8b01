"""Error classification for provider failures; imports nothing from Django.

`classify` turns any failure (an exception with its chain, a string, `None`)
into a `ClassifiedError`: a stable `ErrorKind`, whether to retry, and the
server-owned messages to show. Everything public is listed in `__all__`; the
modules below are private.
"""

from __future__ import annotations

from chatcore.errors._classify import (
    DEFAULT_RETRY_CEILING,
    MAX_DETAIL,
    ClassifiedError,
    classify,
    with_classification,
)
from chatcore.errors._exceptions import DeadlineExceeded, ProviderError, ProviderTransportReset
from chatcore.errors._kinds import ErrorKind, kind_label
from chatcore.errors._messages import (
    humanise_duration,
    normalize_provider,
    provider_display_name,
    retry_message,
    terminal_message,
)
from chatcore.errors._patterns import PATTERNS

__all__ = [
    "DEFAULT_RETRY_CEILING",
    "MAX_DETAIL",
    "PATTERNS",
    "ClassifiedError",
    "DeadlineExceeded",
    "ErrorKind",
    "ProviderError",
    "ProviderTransportReset",
    "classify",
    "humanise_duration",
    "kind_label",
    "normalize_provider",
    "provider_display_name",
    "retry_message",
    "terminal_message",
    "with_classification",
]
