"""Test doubles for the *inputs* of the retry loop: scripted attempts and a recording sleep.

They stand in for the provider call and the clock, never for our own components:
every error still goes through the real classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chatcore.errors import ClassifiedError, ProviderError

__all__ = ["RecordingSleep", "RetryLog", "Script", "overloaded", "rate_limited"]


def overloaded(**headers: str) -> ProviderError:
    """Anthropic's 529 as its SDK reports it, with optional response headers."""
    return ProviderError(
        "Overloaded",
        status_code=529,
        headers={key.replace("_", "-"): value for key, value in headers.items()},
        body='{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        provider="anthropic",
    )


def rate_limited(**headers: str) -> ProviderError:
    """OpenAI's 429 with optional response headers (``retry_after_ms="1500"``)."""
    return ProviderError(
        "Rate limit reached for requests",
        status_code=429,
        headers={key.replace("_", "-"): value for key, value in headers.items()},
        body=(
            '{"error":{"message":"Rate limit reached for requests","type":"requests",'
            '"code":"rate_limit_exceeded"}}'
        ),
        provider="openai",
    )


@dataclass
class Script:
    """An attempt function that raises the scripted errors in order, then returns ``result``."""

    errors: Sequence[BaseException]
    result: str = "done"
    attempts: list[int] = field(default_factory=list)

    async def __call__(self, attempt: int) -> str:
        self.attempts.append(attempt)
        if len(self.attempts) <= len(self.errors):
            raise self.errors[len(self.attempts) - 1]
        return self.result


@dataclass
class RecordingSleep:
    """Records the delays instead of waiting them out."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@dataclass
class RetryLog:
    """A synchronous ``on_retry`` that records its arguments."""

    calls: list[tuple[int, BaseException, ClassifiedError, float]] = field(default_factory=list)

    def __call__(
        self, attempt: int, error: BaseException, classified: ClassifiedError, delay: float
    ) -> None:
        self.calls.append((attempt, error, classified, delay))

    @property
    def delays(self) -> list[float]:
        return [call[3] for call in self.calls]
