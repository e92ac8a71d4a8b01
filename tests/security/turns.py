"""Real chat turns for the security tests: the runner, the fake provider, the real database."""

from __future__ import annotations

import asyncio
from typing import Any

from chatcore.chats import ChatService, Limits, Outgoing, SendOutcome
from chatcore.metrics import RetryMetrics
from chatcore.models import ACTIVE_STATUSES, Chat
from tests.security.conftest import db, running

__all__ = ["run_turn"]


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
        sent = await ChatService(layer).send(chat_id, Outgoing(content), limits=Limits())
        assert sent.outcome is SendOutcome.ACCEPTED
        async with asyncio.timeout(within):
            while True:
                chat: Chat = await db(Chat.objects.select_related("provider").get)(pk=chat_id)
                if chat.status not in ACTIVE_STATUSES:
                    return chat
                await asyncio.sleep(0.05)
