"""The snapshot a client reconciles from: the database plus the runner's live state.

The database holds the transcript, the status, the persisted `last_error`,
the in-progress retry (with its original `retrying_at`) and the last
checkpointed sequence number. Only the runner holding the turn knows the
provisional text streamed so far and the exact last `seq`, so the snapshot asks
it over the channel layer (``chatd.snapshot``) and falls back to the database
alone when no runner answers in time (it died; its lease will expire).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from asgiref.sync import sync_to_async

from chatcore.chats.messaging import snapshot_request
from chatcore.chats.transcript import transcript
from chatcore.contract import Phase
from chatcore.models import ACTIVE_STATUSES, Chat, ChatStatus
from chatcore.runner.bounded import bounded

__all__ = [
    "SNAPSHOT_TIMEOUT",
    "chat_snapshot",
    "database_snapshot",
    "merge_live",
    "release_channel",
]

SNAPSHOT_TIMEOUT = 1.0


def database_snapshot(chat_id: int) -> dict[str, Any]:
    """What the database knows of a chat, in the shape of the JSON API."""
    chat = Chat.objects.get(pk=chat_id)
    messages = transcript(chat_id)
    live = chat.live_state if isinstance(chat.live_state, dict) else {}
    active = chat.status in ACTIVE_STATUSES
    error = chat.error
    phase = Phase.parse(live.get("phase"), Phase.STARTING) if active else Phase.IDLE
    return {
        "chat": chat.pk,
        "seq": chat.event_seq,
        "status": chat.status,
        "last_error": error.to_json() if error is not None else None,
        "messages": messages,
        "lease_owner": chat.lease_owner if active else "",
        "live": {
            "phase": phase.value,
            "attempt": live.get("attempt", 0),
            "text": "",
            "retry": live.get("retry") if chat.status == ChatStatus.WAITING_RETRY else None,
        },
    }


def merge_live(snapshot: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
    """Overlay the runner's in-memory state (provisional text, exact seq) on the database's."""
    if not live:
        return snapshot
    merged = dict(snapshot)
    merged["seq"] = max(int(snapshot["seq"]), int(live.get("seq", 0)))
    merged["live"] = {
        "phase": Phase.parse(live.get("phase"), Phase.STARTING).value,
        "attempt": live.get("attempt", 0),
        "text": live.get("text", ""),
        "retry": live.get("retry"),
        "started_at": live.get("started_at"),
    }
    return merged


async def chat_snapshot(
    layer: Any, chat_id: int, *, wait: float = SNAPSHOT_TIMEOUT
) -> dict[str, Any]:
    """The full snapshot; asks the lease owner on a private channel when a turn is active.

    A consumer awaiting this handles no other message meanwhile, so group events
    that arrive during the wait queue up and are applied after the snapshot
    (those with a `seq` at or below the snapshot's are skipped).
    """
    snapshot = await sync_to_async(database_snapshot, thread_sensitive=True)(chat_id)
    owner = snapshot.pop("lease_owner")
    if not owner or layer is None:
        return snapshot
    try:
        channel = await bounded(layer.new_channel(), wait)
    except Exception:
        return snapshot  # the layer is restarting: the database alone
    try:
        await bounded(layer.send(owner, snapshot_request(chat_id, channel)), wait)
    except Exception:
        await _release_quietly(layer, channel, wait)
        return snapshot
    try:
        # A receive that times out is cancelled, which releases the channel.
        reply = await bounded(layer.receive(channel), wait)
    except Exception:
        # No runner answered (it died, or the layer is restarting): the
        # database alone; the client resynchronises on the next seq gap.
        return snapshot
    await _release_quietly(layer, channel, wait)
    return merge_live(snapshot, reply.get("live"))


async def _release_quietly(layer: Any, channel: str, wait: float) -> None:
    with contextlib.suppress(Exception):
        await bounded(release_channel(layer, channel), wait)


async def release_channel(layer: Any, channel: str) -> None:
    """Let go of a one-off channel from ``new_channel()``.

    The Redis pub/sub layer keeps such a channel subscribed (and its queue in
    memory) until a receive on it is cancelled; it has no ``delete_channel``.
    So start a receive and cancel it once it waits: every snapshot would
    otherwise leave one subscription behind for the life of the process. The
    in-memory layer drops the channel the same way.
    """
    waiter = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # the receive runs up to its wait
    waiter.cancel()
    try:
        await waiter
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # we were cancelled too, not only the receive
