"""URLs of the JSON API, mounted at /api/."""

from __future__ import annotations

from django.urls import path

from chatui import api

urlpatterns = [
    path("chats/", api.chats, name="api-chats"),
    path("chats/<int:chat_id>/", api.chat_detail, name="api-chat"),
    path("chats/<int:chat_id>/messages/", api.messages, name="api-messages"),
    path(
        "chats/<int:chat_id>/messages/<int:message_id>/edit/",
        api.edit_message,
        name="api-message-edit",
    ),
    path("chats/<int:chat_id>/regenerate/", api.regenerate, name="api-regenerate"),
    path("chats/<int:chat_id>/stop/", api.stop, name="api-stop"),
    path("chats/<int:chat_id>/retry/", api.retry, name="api-retry"),
]
