"""Websocket URL routes."""

from __future__ import annotations

from django.urls import path

from chatui import consumers

websocket_urlpatterns = [
    path("ws/echo/", consumers.EchoConsumer.as_asgi()),
    path("ws/chats/<int:chat_id>/", consumers.ChatConsumer.as_asgi()),
]
