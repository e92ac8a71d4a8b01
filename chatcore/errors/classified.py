"""The immutable result of classification (SPEC §4) and its JSON payloads (SPEC §6)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from chatcore.errors.messages import terminal_message
from chatcore.errors.providers import normalize_provider

__all__ = ["ClassifiedError"]


@dataclass(frozen=True, slots=True)
class ClassifiedError:
    """What a failure means: its kind, whether to retry, and what to show."""

    kind: str = ""
    message: str = ""
    detail: str = ""
    provider: str = ""
    retryable: bool = False
    status_code: int = 0
    retry_after: float = 0.0
    chain_broken: bool = False
    # Which special case produced the message ("canceled", "truncated", ...), so
    # that `with_provider` and `retry_message` can rebuild it. Not part of equality.
    reason: str = field(default="", compare=False, repr=False)

    def with_provider(self, provider: str | None) -> ClassifiedError:
        """A copy naming an explicit provider, with the message regenerated for it."""
        copy = dataclasses.replace(self, provider=normalize_provider(provider))
        return dataclasses.replace(copy, message=terminal_message(copy))
