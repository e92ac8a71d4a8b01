"""The chat runner (SPEC §7, §8, §11, §12): claims turns, runs them live, persists them once.

Django is confined to ``store`` (the runner's persistence service) and
``control``/``snapshot`` (what the web layer asks of turns).
"""

from __future__ import annotations

from chatcore.runner.events import ChatEvents, LiveState, chat_group
from chatcore.runner.turn import RetryWait, TurnSettings, execute_turn
from chatcore.runner.worker import RUNNERS_GROUP, Runner

__all__ = [
    "RUNNERS_GROUP",
    "ChatEvents",
    "LiveState",
    "RetryWait",
    "Runner",
    "TurnSettings",
    "chat_group",
    "execute_turn",
]
