"""A chat as the sidebar lists it: its title, where its turn is, and when it was last active.

* ``LiveStatus``: the phase of the chat's turn (``Phase``), the retry in progress
  (its countdown) or the kind of the failure. The runner publishes one on every
  phase change (never per token) to its owner's group, so every open page of
  that user updates the chat's entry.
* ``ChatSummary``: the whole entry (title, status, last activity), published
  when a chat is created, renamed, titled or gets a new turn.

Both travel as JSON on the channel layer and are read back tolerantly (like
``chatcore.contract``): whatever arrives becomes a valid value. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatcore.contract import ChatRetry, Phase, format_utc, parse_utc

__all__ = ["UNTITLED", "ChatSummary", "LiveStatus", "display_title"]

# What a chat is called until its first message gives it a title.
UNTITLED = "New chat"


def display_title(title: str) -> str:
    """The title a page shows: the stored one, or ``UNTITLED``."""
    return title.strip() or UNTITLED


def _kind(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """Where a chat's turn is, as its sidebar entry shows it."""

    phase: Phase = Phase.IDLE
    retry: ChatRetry | None = None  # RETRYING: the retry in progress (its countdown)
    kind: str = ""  # FAILED: the failure's kind; RETRYING: the retry's

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"phase": self.phase.value}
        if self.retry is not None:
            data["retry"] = self.retry.to_json()
        if self.kind:
            data["kind"] = self.kind
        return data

    @classmethod
    def from_json(cls, value: object) -> LiveStatus:
        """A status from any JSON value; never raises (an unknown phase is idle)."""
        data: Mapping[Any, Any] = value if isinstance(value, Mapping) else {}
        phase = Phase.parse(data.get("phase"))
        raw_retry = data.get("retry")
        retry = ChatRetry.from_json(raw_retry) if isinstance(raw_retry, Mapping) else None
        if phase is not Phase.RETRYING:
            retry = None
        kind = _kind(data.get("kind")) or (retry.kind if retry is not None else "")
        keeps_kind = phase in (Phase.FAILED, Phase.RETRYING)
        return cls(phase=phase, retry=retry, kind=kind if keeps_kind else "")


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """One sidebar entry: the chat, its title ("" before the first message), its status and
    its last activity (the newest first)."""

    chat_id: int
    title: str
    status: LiveStatus
    activity: datetime | None = None

    @property
    def shown_title(self) -> str:
        return display_title(self.title)

    def to_json(self) -> dict[str, Any]:
        return {
            "chat": self.chat_id,
            "title": self.title,
            "status": self.status.to_json(),
            "activity": format_utc(self.activity) if self.activity else "",
        }

    @classmethod
    def from_json(cls, value: object) -> ChatSummary | None:
        """A summary from any JSON value; None when it names no chat."""
        data: Mapping[Any, Any] = value if isinstance(value, Mapping) else {}
        chat = data.get("chat")
        if isinstance(chat, bool) or not isinstance(chat, int) or chat <= 0:
            return None
        title = data.get("title")
        return cls(
            chat_id=chat,
            title=title.strip() if isinstance(title, str) else "",
            status=LiveStatus.from_json(data.get("status")),
            activity=parse_utc(data.get("activity")),
        )
