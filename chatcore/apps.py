from __future__ import annotations

from django.apps import AppConfig


class ChatcoreConfig(AppConfig):
    name = "chatcore"
    label = "chatcore"
    verbose_name = "Chats"
    default_auto_field = "django.db.models.BigAutoField"
