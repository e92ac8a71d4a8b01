"""The one vocabulary of a chat turn, from the runner to the page: phases and payloads.

* ``Phase``: where a chat's turn is, as the runner's events, the stored live
  state, snapshots, the web's view model and the sidebar all name it.
* ``ChatError``: a terminal failure, persisted as ``Chat.last_error`` and sent
  as the ``error`` event (``{message, kind, provider, retryable, status_code,
  detail}``).
* ``ChatRetry``: a retry the runner announced, sent as the ``retry`` event and
  kept in the live state (``{attempt, delay_ms, retrying_at, error, kind,
  provider, status_code, not_before, ...}``).
* ``format_utc`` / ``parse_utc``: the one ISO-8601 UTC time format they use.

Values are frozen and normalised when built, so a value equals its own JSON
round trip. Reading JSON never raises: whatever arrives (an older or newer
server's payload, a hand-edited row) becomes a valid value. No Django here.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    normalize_provider,
    retry_message,
    terminal_message,
)

__all__ = ["ChatError", "ChatRetry", "Phase", "format_utc", "parse_utc"]


class Phase(StrEnum):
    """Where a chat's turn is. ``status`` events carry STARTING, STREAMING or IDLE."""

    IDLE = "idle"
    STARTING = "starting"
    STREAMING = "streaming"
    RETRYING = "retrying"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        """A turn is in flight (it can be stopped)."""
        return self in (Phase.STARTING, Phase.STREAMING, Phase.RETRYING)

    @classmethod
    def parse(cls, value: object, default: Phase | None = None) -> Phase:
        """The phase a stored or received value names; ``default`` (IDLE) otherwise."""
        try:
            return cls(str(value)) if isinstance(value, str) else default or cls.IDLE
        except ValueError:
            return default or cls.IDLE


def format_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a ``Z`` (naive means UTC)."""
    return _utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_utc(value: object) -> datetime | None:
    """An ISO-8601 time (or datetime) as an aware UTC datetime; None when unusable."""
    if isinstance(value, datetime):
        return _utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _to_millisecond(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    moment = _utc(moment)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# A kind this server does not know yet is kept (and humanised by the UI) when it
# reads like one of ours; anything else is not a kind.
_KIND_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")
_KNOWN_KINDS = frozenset(kind.value for kind in ErrorKind)


def _kind(value: object) -> str:
    if isinstance(value, str) and _KIND_SLUG.fullmatch(value.strip().lower()):
        return value.strip().lower()
    return str(ErrorKind.GENERIC)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _count(value: object) -> int:
    """A non-negative whole number from JSON; 0 for anything else (bool is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        number = int(float(value)) if isinstance(value, str | float) else value
    except (ValueError, OverflowError):
        return 0
    return number if number > 0 else 0


def _status(value: object) -> int:
    """An HTTP status code: a positive JSON integer, else none (0)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1000:
        return value
    return 0


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _plain(data: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """``data`` plus the optional fields that are set (empty ones are omitted)."""
    data.update((key, value) for key, value in optional.items() if value)
    return data


@dataclass(frozen=True, slots=True)
class ChatError:
    """A terminal failure of a turn, as users see it and as it is stored."""

    message: str
    kind: str = ErrorKind.GENERIC
    provider: str = ""
    # None: not known (a legacy row migrated from text says nothing about it).
    retryable: bool | None = None
    status_code: int = 0
    detail: str = ""

    def __post_init__(self) -> None:
        kind = _kind(self.kind)
        provider = normalize_provider(self.provider)
        message = _text(self.message) or _terminal(kind, provider)
        retryable = _flag(self.retryable)
        for name, value in (
            ("kind", kind),
            ("provider", provider),
            ("message", message),
            ("retryable", retryable),
            ("status_code", _status(self.status_code)),
            ("detail", _text(self.detail)),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def from_classified(cls, classified: ClassifiedError) -> ChatError:
        """What a classified failure shows: its terminal message and upstream detail."""
        return cls(
            message=classified.message or terminal_message(classified),
            kind=classified.kind or ErrorKind.GENERIC,
            provider=classified.provider,
            retryable=classified.retryable,
            status_code=classified.status_code,
            detail=classified.detail,
        )

    @classmethod
    def usage_limit(cls, message: str) -> ChatError:
        """This application's own limit refused a send: no provider, never retryable."""
        return cls(message=message, kind=ErrorKind.USAGE_LIMIT, retryable=False)

    @classmethod
    def from_json(cls, value: object) -> ChatError:
        """A ``ChatError`` from any JSON value, field by field; never raises.

        Wrong types are dropped, a missing message becomes the kind's terminal
        message, a kind from a newer server is kept for the UI to humanise.
        """
        try:
            data: Mapping[Any, Any] = value if isinstance(value, Mapping) else {}
            return cls(
                message=_text(data.get("message")),
                kind=_kind(data.get("kind")),
                provider=_text(data.get("provider")),
                retryable=_flag(data.get("retryable")),
                status_code=_status(data.get("status_code")),
                detail=_text(data.get("detail")),
            )
        except Exception:  # a mapping whose methods raise: nothing usable in it
            return cls(message="")

    @classmethod
    def from_stored(cls, value: object) -> ChatError | None:
        """A stored ``Chat.last_error``: None for no error, never raises.

        Stricter than ``from_json``: a value that is not a whole ``ChatError``
        (a message and a kind of ours) was written by hand, by an older
        version or as legacy text; it reads as a generic failure keeping only
        its message.
        """
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, str):
                return cls(message=value)
            if not isinstance(value, Mapping):
                return cls(message="")
            message, kind = value.get("message"), value.get("kind")
            if not _text(message):
                return cls(message="")
            if not isinstance(kind, str) or kind not in _KNOWN_KINDS:
                return cls(message=_text(message))
            return cls.from_json(value)
        except Exception:
            return cls(message="")

    def to_json(self) -> dict[str, Any]:
        """The JSON object; empty optional fields are omitted."""
        data: dict[str, Any] = {"message": self.message, "kind": self.kind}
        if self.retryable is not None:
            data["retryable"] = self.retryable
        return _plain(
            data, provider=self.provider, status_code=self.status_code, detail=self.detail
        )


@dataclass(frozen=True, slots=True)
class ChatRetry:
    """A retry the runner announced: why, which attempt failed, and when the next starts."""

    attempt: int
    delay_ms: int
    retrying_at: datetime | None
    error: str  # the short retry message shown beside the countdown
    kind: str = ErrorKind.GENERIC
    provider: str = ""
    status_code: int = 0
    # The provider's Retry-After floor: "Retry now" is refused before it.
    not_before: datetime | None = None
    # The wait is the provider's shared cooldown or open breaker, not this chat's own.
    shared: bool = False
    # A model fallback: the next attempt runs on ``to_model`` instead, because of ``reason``.
    from_model: str = ""
    to_model: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        kind = _kind(self.kind)
        provider = normalize_provider(self.provider)
        for name, value in (
            ("attempt", _count(self.attempt)),
            ("delay_ms", _count(self.delay_ms)),
            ("retrying_at", _to_millisecond(self.retrying_at)),
            ("error", _text(self.error) or _retry_text(kind, provider)),
            ("kind", kind),
            ("provider", provider),
            ("status_code", _status(self.status_code)),
            ("not_before", _to_millisecond(self.not_before)),
            ("shared", self.shared is True),
            ("from_model", _text(self.from_model)),
            ("to_model", _text(self.to_model)),
            ("reason", _text(self.reason)),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def from_classified(
        cls,
        classified: ClassifiedError,
        *,
        attempt: int,
        delay: float,
        now: datetime,
        not_before: datetime | None = None,
    ) -> ChatRetry:
        """The retry of ``attempt`` after ``delay`` seconds (the effective delay, as slept).

        ``retrying_at`` is ``now + delay`` to the millisecond; ``not_before``
        (the provider's Retry-After floor) is never later than it.
        """
        delay_ms = round(delay * 1000) if math.isfinite(delay) and delay > 0 else 0
        retrying_at = _to_millisecond(now + timedelta(milliseconds=delay_ms))
        assert retrying_at is not None
        floor = _to_millisecond(not_before)
        return cls(
            attempt=attempt,
            delay_ms=delay_ms,
            retrying_at=retrying_at,
            error=retry_message(classified),
            kind=classified.kind or ErrorKind.GENERIC,
            provider=classified.provider,
            status_code=classified.status_code,
            not_before=None if floor is None else min(floor, retrying_at),
        )

    @classmethod
    def from_json(cls, value: object) -> ChatRetry:
        """A ``ChatRetry`` from any JSON value, field by field; never raises."""
        try:
            data: Mapping[Any, Any] = value if isinstance(value, Mapping) else {}
            return cls(
                attempt=_count(data.get("attempt")),
                delay_ms=_count(data.get("delay_ms")),
                retrying_at=parse_utc(data.get("retrying_at")),
                error=_text(data.get("error")),
                kind=_kind(data.get("kind")),
                provider=_text(data.get("provider")),
                status_code=_status(data.get("status_code")),
                not_before=parse_utc(data.get("not_before")),
                shared=data.get("shared") is True,
                from_model=_text(data.get("from_model")),
                to_model=_text(data.get("to_model")),
                reason=_text(data.get("reason")),
            )
        except Exception:  # a mapping whose methods raise: nothing usable in it
            return cls(attempt=0, delay_ms=0, retrying_at=None, error="")

    def to_json(self) -> dict[str, Any]:
        """The JSON object; empty optional fields are omitted."""
        data: dict[str, Any] = {"attempt": self.attempt, "delay_ms": self.delay_ms}
        if self.retrying_at is not None:
            data["retrying_at"] = format_utc(self.retrying_at)
        data.update(error=self.error, kind=self.kind)
        return _plain(
            data,
            provider=self.provider,
            status_code=self.status_code,
            not_before=format_utc(self.not_before) if self.not_before else "",
            shared=self.shared,
            from_model=self.from_model,
            to_model=self.to_model,
            reason=self.reason,
        )

    def with_fields(self, **changes: Any) -> ChatRetry:
        """A copy with some fields changed (normalised like any other value)."""
        return dataclasses.replace(self, **changes)


def _terminal(kind: str, provider: str) -> str:
    return terminal_message(ClassifiedError(kind=kind, provider=provider))


def _retry_text(kind: str, provider: str) -> str:
    return retry_message(ClassifiedError(kind=kind, provider=provider))
