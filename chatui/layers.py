"""The in-process channel layer of the embedded default, made to carry hundreds of sockets.

Channels' ``InMemoryChannelLayer`` walks every channel and every group
membership of the process for expired messages on *each* ``send``,
``group_send`` and ``receive``. With one socket per open chat page that walk
is O(sockets) per event, so O(sockets²) per second of streaming: at 200
streaming chats it was the largest single cost in the web process
(``bench/load.py``). Here the walk runs at most once per ``clean_interval``
(1 s): messages and group memberships still expire, at most that much later
than their ``expiry`` / ``group_expiry`` (60 s and a day by default).
"""

from __future__ import annotations

import time
from typing import Any

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
