"""The channel-layer names and messages between the web, the runners and the pages.

* ``chat_group(id)``: every open page of a chat listens there for its events.
* ``user_group(id)``: every open page of a user listens there for changes of
  that user's chats as the sidebar lists them: one small message per phase
  change of a turn (never per token), creation, rename, deletion.
* ``RUNNERS_GROUP``: every runner listens there for wake-ups.
* Each runner also has its own channel, written on the chats it holds as their
  ``lease_owner``, for the commands about one chat (stop, retry now, snapshot).

Only this module spells these messages; the runner dispatches on the
constants, the web calls the helpers (through ``chatcore.chats.service``).
"""

from __future__ import annotations

from typing import Any

from chatcore.chats.summary import ChatSummary, LiveStatus

__all__ = [
    "CHAT_CHANGED",
    "CHAT_EVENT",
    "CHAT_REMOVED",
    "CHAT_STATUS",
    "CHAT_SUMMARY",
    "LIVE_STATE",
    "RETRY_NOW",
    "RUNNERS_GROUP",
    "SNAPSHOT",
    "STOP",
    "WAKE",
    "chat_changed",
    "chat_group",
    "chat_removed",
    "chat_status",
    "chat_summary",
    "publish_removed",
    "publish_status",
    "publish_summary",
    "snapshot_request",
    "tell_runner",
    "user_group",
    "wake_runners",
]

RUNNERS_GROUP = "chatd"

# Runner commands.
WAKE = "chatd.wake"  # a turn was queued: claim now instead of at the next poll
STOP = "chatd.stop"  # {chat}: cancel that turn at once (during a retry wait too)
RETRY_NOW = "chatd.retry_now"  # {chat}: cut the retry wait short (never below the floor)
SNAPSHOT = "chatd.snapshot"  # {chat, reply_channel}: reply with LIVE_STATE

# Messages to pages and snapshot requesters.
CHAT_EVENT = "chat.event"  # one live event of a chat (the consumer's ``chat_event``)
# The chat changed outside a turn (a version shown, an operator's action): pages
# take a fresh snapshot. Not a numbered event: it changes nothing a turn streams.
CHAT_CHANGED = "chat.changed"
LIVE_STATE = "chat.live_state"  # {chat, live}: a runner's answer to SNAPSHOT

# Messages to a user's pages (the sidebar), on ``user_group(owner)``.
CHAT_STATUS = "chat.status"  # {chat, status}: the turn's phase changed (a LiveStatus)
CHAT_SUMMARY = "chat.summary"  # {chat, summary}: created, renamed, titled, a new turn
CHAT_REMOVED = "chat.removed"  # {chat}: deleted


def chat_group(chat_id: int) -> str:
    """The Channels group every viewer of a chat joins."""
    return f"chat_{chat_id}"


def user_group(user_id: int) -> str:
    """The Channels group every open page of a user joins (their sidebar's changes)."""
    return f"user_{user_id}"


def chat_status(chat_id: int, status: LiveStatus) -> dict[str, Any]:
    return {"type": CHAT_STATUS, "chat": chat_id, "status": status.to_json()}


def chat_summary(summary: ChatSummary) -> dict[str, Any]:
    return {"type": CHAT_SUMMARY, "chat": summary.chat_id, "summary": summary.to_json()}


def chat_removed(chat_id: int) -> dict[str, Any]:
    return {"type": CHAT_REMOVED, "chat": chat_id}


async def publish_status(layer: Any, owner_id: int, chat_id: int, status: LiveStatus) -> None:
    await layer.group_send(user_group(owner_id), chat_status(chat_id, status))


async def publish_summary(layer: Any, owner_id: int, summary: ChatSummary) -> None:
    await layer.group_send(user_group(owner_id), chat_summary(summary))


async def publish_removed(layer: Any, owner_id: int, chat_id: int) -> None:
    await layer.group_send(user_group(owner_id), chat_removed(chat_id))


async def chat_changed(layer: Any, chat_id: int) -> None:
    await layer.group_send(chat_group(chat_id), {"type": CHAT_CHANGED, "chat": chat_id})


async def wake_runners(layer: Any) -> None:
    """Wake every runner so a queued turn is claimed now rather than at the next poll."""
    await layer.group_send(RUNNERS_GROUP, {"type": WAKE})


async def tell_runner(layer: Any, runner: str, command: str, chat_id: int) -> None:
    """Send a command about one chat to the runner holding it (its lease owner)."""
    await layer.send(runner, {"type": command, "chat": chat_id})


def snapshot_request(chat_id: int, reply_channel: str) -> dict[str, Any]:
    return {"type": SNAPSHOT, "chat": chat_id, "reply_channel": reply_channel}
