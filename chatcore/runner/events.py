"""Live events of one chat turn: sequence numbers, coalesced deltas, snapshot state.

Every event goes to the chat's Channels group as one message
``{"type": "chat.event", "chat", "seq", "event", "attempt", "data"}``. Deltas
are coalesced: text is sent at most once per ``frame_interval`` without
losing a character. A runner paces its chats with ``frame_interval_for``: 50 ms
(about 20 frames a second per chat) until it streams more than
``FRAME_BUDGET / 20`` chats at once, then longer, so that every process on the
way (the runner, the layer, each web process) handles about ``FRAME_BUDGET``
frames a second however many chats stream; text then arrives in fewer, larger
frames instead of later and later.
Each phase change (``status``, ``retry``, ``error``, ``done``) is also
published to the owner's group as one small ``chat.status`` message, for the
sidebars of the owner's open pages: a few per turn, never one per delta.
The publisher also keeps what a snapshot needs (the provisional text
published so far, the phase, an in-progress retry), because channel layers
drop messages silently and clients resynchronise from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatcore.chats.messaging import CHAT_EVENT, chat_group, chat_status, user_group
from chatcore.chats.summary import LiveStatus
from chatcore.contract import ChatError, ChatRetry, Phase
from chatcore.runner.bounded import bounded

__all__ = [
    "FRAME_BUDGET",
    "PUBLISH_TIMEOUT",
    "ChannelLayer",
    "ChatEvents",
    "TurnState",
    "frame_interval_for",
]

log = logging.getLogger(__name__)

# A layer whose server vanished mid-call can hang instead of failing; an
# in-process layer has no server to hang on and needs no bound (nor a task per
# frame to enforce one): its runners are built with ``publish_timeout=None``.
PUBLISH_TIMEOUT = 2.0

# Delta frames a second that one runner aims to publish, all its chats together.
FRAME_BUDGET = 2000
MIN_FRAME_INTERVAL = 0.05
MAX_FRAME_INTERVAL = 0.25


def frame_interval_for(streaming_chats: int) -> float:
    """Seconds between one chat's frames when a runner streams ``streaming_chats`` at once."""
    return min(MAX_FRAME_INTERVAL, max(MIN_FRAME_INTERVAL, streaming_chats / FRAME_BUDGET))


class ChannelLayer(Protocol):
    async def group_send(self, group: str, message: dict[str, Any]) -> None: ...


@dataclass
class TurnState:
    """What the runner knows that the database does not (yet): the turn as clients see it."""

    seq: int
    attempt: int = 0
    phase: Phase = Phase.STARTING
    text: str = ""
    retry: ChatRetry | None = None
    started_at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        """The JSON a snapshot merges (``chatcore.runner.snapshot.merge_live``)."""
        return {
            "seq": self.seq,
            "attempt": self.attempt,
            "phase": self.phase.value,
            "text": self.text,
            "retry": self.retry.to_json() if self.retry is not None else None,
            "started_at": self.started_at,
        }


class ChatEvents:
    """Publishes one chat's events in order, each with the next sequence number."""

    def __init__(
        self,
        layer: ChannelLayer,
        chat_id: int,
        *,
        seq: int,
        frame_interval: float | Callable[[], float] = MIN_FRAME_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        publish_timeout: float | None = PUBLISH_TIMEOUT,
        owner_id: int | None = None,
    ) -> None:
        self._layer = layer
        # The owner's pages hear of each phase change (their sidebars); None: nobody.
        self._user_group = user_group(owner_id) if owner_id is not None else ""
        self._publish_timeout = publish_timeout
        self._chat_id = chat_id
        self._group = chat_group(chat_id)
        self._interval = frame_interval
        self._clock = clock
        self._pending: list[str] = []
        self._last_frame = float("-inf")
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.state = TurnState(seq=seq)

    @property
    def seq(self) -> int:
        return self.state.seq

    async def status(self, phase: Phase, attempt: int) -> None:
        """A phase change; ``starting`` begins an attempt with no provisional text."""
        starting = phase is Phase.STARTING
        if starting:
            self._drop_pending()
            self.state.text = ""
        self.state.phase = phase
        self.state.attempt = attempt
        self.state.retry = None
        if phase is Phase.IDLE:  # the end of a turn: the owner's sidebars first
            await self._tell_owner(LiveStatus(phase))
        await self._publish("status", {"phase": phase.value}, flush_first=not starting)
        if phase is not Phase.IDLE:
            await self._tell_owner(LiveStatus(phase))

    async def delta(self, text: str) -> None:
        """Queue text for the next frame; a frame goes out at most every ``frame_interval``."""
        if not text:
            return
        self._pending.append(text)
        if self._timer is None:
            interval = self._interval() if callable(self._interval) else self._interval
            wait = max(0.0, self._last_frame + interval - self._clock())
            self._timer = asyncio.create_task(self._flush_after(wait))

    async def flush(self) -> None:
        """Send queued text now (before ``done``, so the deltas add up to the message)."""
        async with self._lock:
            await self._send_pending()

    async def retry(self, retry: ChatRetry) -> None:
        """The rollback boundary: the attempt's provisional text is discarded everywhere."""
        self._drop_pending()
        self.state.text = ""
        self.state.phase = Phase.RETRYING
        self.state.attempt = retry.attempt
        self.state.retry = retry
        await self._publish("retry", retry.to_json(), flush_first=False)
        await self._tell_owner(LiveStatus(Phase.RETRYING, retry, retry.kind))

    async def error(self, error: ChatError, attempt: int) -> None:
        self._drop_pending()
        self.state.text = ""
        self.state.phase = Phase.FAILED
        self.state.retry = None
        # The owner's sidebars first: the turn's own last event may be the last thing
        # this task does before it is torn down.
        await self._tell_owner(LiveStatus(Phase.FAILED, kind=error.kind))
        await self._publish("error", error.to_json(), flush_first=False, attempt=attempt)

    async def done(self, message_id: int, attempt: int, *, stopped: bool = False) -> None:
        """The attempt's text is now the persisted message (``stopped``: cut short by Stop)."""
        self.state.phase = Phase.IDLE
        data: dict[str, Any] = {"message_id": message_id}
        if stopped:
            data["stopped"] = True
            self._drop_pending()  # the stored text already holds it; the page re-renders
        await self._tell_owner(LiveStatus(Phase.IDLE))  # first, as for an error
        await self._publish("done", data, flush_first=not stopped, attempt=attempt)

    async def close(self) -> None:
        """Stop the frame timer (the turn is over or cancelled)."""
        self._drop_pending()

    def _drop_pending(self) -> None:
        self._pending.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _flush_after(self, wait: float) -> None:
        # Cancelled when the attempt ends first; the text then goes out (or is
        # dropped) with the event that ended it.
        await asyncio.sleep(wait)
        async with self._lock:
            self._timer = None
            await self._send_pending()

    async def _send_pending(self) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self.state.text += text
        self._last_frame = self._clock()
        await self._send("delta", {"text": text}, self.state.attempt)

    async def _publish(
        self, event: str, data: dict[str, Any], *, flush_first: bool, attempt: int | None = None
    ) -> None:
        async with self._lock:
            if flush_first:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                await self._send_pending()
            await self._send(event, data, self.state.attempt if attempt is None else attempt)

    async def _tell_owner(self, status: LiveStatus) -> None:
        """The phase change for the owner's sidebars (best-effort, like every event)."""
        if not self._user_group:
            return
        try:
            sent = self._layer.group_send(self._user_group, chat_status(self._chat_id, status))
            if self._publish_timeout is None:
                await sent
            else:
                await bounded(sent, self._publish_timeout)
        except Exception:
            log.warning("could not tell the owner of chat %s of its status", self._chat_id)

    async def _send(self, event: str, data: dict[str, Any], attempt: int) -> None:
        self.state.seq += 1
        message = {
            "type": CHAT_EVENT,
            "chat": self._chat_id,
            "seq": self.state.seq,
            "event": event,
            "attempt": attempt,
            "data": data,
        }
        try:
            sent = self._layer.group_send(self._group, message)
            if self._publish_timeout is None:
                await sent
            else:
                await bounded(sent, self._publish_timeout)
        except Exception:
            # The channel layer is down (Redis restarting). Events are best-effort:
            # the turn goes on and is persisted; clients see the seq gap, or
            # reconnect, and reconcile from a snapshot.
            log.warning(
                "could not publish %s #%d of chat %s",
                event,
                self.state.seq,
                self._chat_id,
                exc_info=True,
            )
