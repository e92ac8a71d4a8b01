"""Real chat turns for the security tests: the runner, the fake provider, the real database."""

from __future__ import annotations

import asyncio
from typing import Any

from chatcore.metrics import RetryMetrics
from chatcore.models import ACTIVE_STATUSES, Chat
from chatcore.runner import control
from tests.security.conftest import db, running

__all__ = ["run_turn"]


def _send(chat_id: int, content: str) -> control.SendOutcome:
    return control.send_message(Chat.objects.get(pk=chat_id), content).outcome


async def run_turn(
    layer: Any,
    chat_id: int,
    content: str,
    scenario: list[dict[str, Any]] | str,
    *,
    metrics: RetryMetrics | None = None,
    within: float = 20.0,
) -> Chat:
    """Send ``content`` and let a real runner play ``scenario`` to the end; the chat then."""
    async with running(layer, scenario=scenario, metrics=metrics):
        assert await db(_send)(chat_id, content) == control.SendOutcome.ACCEPTED
        await control.notify_runners(layer)
        async with asyncio.timeout(within):
            while True:
                chat: Chat = await db(Chat.objects.select_related("provider").get)(pk=chat_id)
                if chat.status not in ACTIVE_STATUSES:
                    return chat
                await asyncio.sleep(0.05)
