"""Websocket URL routes."""

from __future__ import annotations

from django.urls import path, re_path

from chatui import consumers, probes, sidebar_consumer

websocket_urlpatterns = [
    path("ws/echo/", probes.EchoConsumer.as_asgi()),
    path("ws/chats/<int:chat_id>/", consumers.ChatConsumer.as_asgi()),
    path("ws/sidebar/", sidebar_consumer.SidebarConsumer.as_asgi()),
    # Last: any other path (``/ws/chats/abc/``) gets a close code; without it the
    # router raises, and every such handshake logs a traceback.
    re_path(r"", probes.UnknownPathConsumer.as_asgi()),
]
