"""Error classification for provider failures (SPEC sections 3-6); imports nothing from Django."""

from __future__ import annotations

from chatcore.errors.classified import ClassifiedError
from chatcore.errors.classifier import classify, with_classification
from chatcore.errors.exceptions import DeadlineExceeded, ProviderError, ProviderTransportReset
from chatcore.errors.kinds import ErrorKind, kind_label
from chatcore.errors.messages import provider_display_name, retry_message, terminal_message
from chatcore.errors.providers import normalize_provider

__all__ = [
    "ClassifiedError",
    "DeadlineExceeded",
    "ErrorKind",
    "ProviderError",
    "ProviderTransportReset",
    "classify",
    "kind_label",
    "normalize_provider",
    "provider_display_name",
    "retry_message",
    "terminal_message",
    "with_classification",
]
