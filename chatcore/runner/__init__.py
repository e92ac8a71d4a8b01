"""The chat runner: claims turns, runs them live, persists them once.

Django is confined to ``context`` (what a turn reads when it starts) and
``snapshot`` (what the web asks of a turn in flight); every write goes
through ``chatcore.chats.lifecycle``.
"""

from __future__ import annotations

from chatcore.runner.events import ChatEvents, TurnState
from chatcore.runner.turn import RetryWait, Turn, TurnSettings, execute_turn
from chatcore.runner.worker import Runner

__all__ = [
    "ChatEvents",
    "RetryWait",
    "Runner",
    "Turn",
    "TurnSettings",
    "TurnState",
    "execute_turn",
]
