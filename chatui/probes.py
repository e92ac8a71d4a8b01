"""The small websocket consumers beside the chat socket: a liveness echo, and the
consumer for every unknown socket path."""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncWebsocketConsumer

from chatui.frames import MAX_FRAME_BYTES

__all__ = ["CLOSE_NOT_FOUND", "EchoConsumer", "UnknownPathConsumer"]

CLOSE_NOT_FOUND = 4404


class EchoConsumer(AsyncWebsocketConsumer):
    """Answers each text frame with `{"echo": <text>}`: a liveness probe for the socket path."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send(json.dumps({"error": "expected a text frame of at most 64 KiB"}))
            return
        await self.send(json.dumps({"echo": text_data}))


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other socket path: closed with 4404, not an exception inside the router."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
