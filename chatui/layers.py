"""The in-process channel layer of the embedded default, made to carry hundreds of sockets.

Channels' ``InMemoryChannelLayer`` walks every channel and every group
membership of the process for expired messages on *each* ``send``,
``group_send`` and ``receive``. With one socket per open chat page that walk
is O(sockets) per event, so O(sockets²) per second of streaming: at 200
streaming chats it was the largest single cost in the web process
(``bench/load.py``). Here the walk runs at most once per ``clean_interval``
(1 s): messages and group memberships still expire, at most that much later
than their ``expiry`` / ``group_expiry`` (60 s and a day by default).

``group_send`` also puts the message on each member's queue in turn instead
of starting one task per member and gathering them: a send to an in-memory
queue never waits, so the tasks only cost time (an eighth of the web
process's CPU with 200 chats streaming).

``send`` and ``receive`` look a channel's queue up instead of building a new
``asyncio.Queue`` for ``setdefault`` on every call, and ``receive`` keeps a
reader's queue between messages (Channels drops it whenever it runs empty,
which is after nearly every frame, and builds it again for the next): two
queues, each with its own event and deques, allocated per frame per socket.
A queue is still dropped when its reader stops (cancelled, as a consumer is on
disconnect) with nothing in it, and by the expiry sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

__all__ = ["ThrottledInMemoryChannelLayer"]


class ThrottledInMemoryChannelLayer(InMemoryChannelLayer):
    """``InMemoryChannelLayer`` whose expiry sweep runs at most every ``clean_interval`` s."""

    def __init__(self, *args: Any, clean_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clean_interval = clean_interval
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + self.clean_interval
        super()._clean_expired()

    def _queue(self, channel: str) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] | None = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        try:
            # A copy, as Channels makes: no receiver shares (or mutates) the sender's dict.
            self._queue(channel).put_nowait((time.time() + self.expiry, deepcopy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def receive(self, channel: str) -> dict[str, Any]:
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        except BaseException:
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]
            raise
        return message  # type: ignore[no-any-return]

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            with contextlib.suppress(ChannelFull):  # as Channels' layer: a full member misses it
                await self.send(channel, message)
