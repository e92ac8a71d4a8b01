"""Websocket consumers: thin translators between the channel layer and browsers."""

from __future__ import annotations

import json

from channels.generic.websocket import AsyncWebsocketConsumer

MAX_FRAME_BYTES = 64 * 1024


class EchoConsumer(AsyncWebsocketConsumer):
    """Answers each text frame with `{"echo": <text>}`: a liveness probe for the socket path."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send(json.dumps({"error": "expected a text frame of at most 64 KiB"}))
            return
        await self.send(json.dumps({"echo": text_data}))
