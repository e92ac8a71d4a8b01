"""What the special cases and the rule table decide, before it becomes a `ClassifiedError`."""

from __future__ import annotations

from typing import NamedTuple

from chatcore.errors.kinds import ErrorKind

__all__ = ["Verdict"]


class Verdict(NamedTuple):
    """A decision: kind, retry, the detail to show, and what shapes the message."""

    kind: ErrorKind
    retryable: bool
    detail: str
    reason: str = ""  # a special-case message (see `messages`), or "" for the kind's own
    chain_broken: bool = False
    default_provider: str = ""  # when neither a hint nor the text names one
