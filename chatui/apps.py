from __future__ import annotations

from django.apps import AppConfig


class ChatuiConfig(AppConfig):
    name = "chatui"
    label = "chatui"
    verbose_name = "Chat UI"
    default_auto_field = "django.db.models.BigAutoField"
