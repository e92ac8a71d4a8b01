"""The operators' admin: failed chats with their structured errors, providers, retries.

It lives in the web layer: it renders the same kind pill as the live UI and
changes chats only through the chats service (``chatcore.chats``). Provider API keys
are write-only here: the admin shows whether one is set, never its value.
Importing this package registers the model admins (Django's autodiscovery).
"""

from __future__ import annotations

from chatui.admin.chats import ChatAdmin, ChatRetryEventAdmin
from chatui.admin.filters import ErrorKindFilter, HasErrorFilter, RetryableFilter, RetryKindFilter
from chatui.admin.providers import (
    ModelFallbackFormSet,
    ModelFallbackInline,
    ProviderAdmin,
    ProviderForm,
)
from chatui.admin.rendering import http_status, json_block, kind_pill, yes_no

__all__ = [
    "ChatAdmin",
    "ChatRetryEventAdmin",
    "ErrorKindFilter",
    "HasErrorFilter",
    "ModelFallbackFormSet",
    "ModelFallbackInline",
    "ProviderAdmin",
    "ProviderForm",
    "RetryKindFilter",
    "RetryableFilter",
    "http_status",
    "json_block",
    "kind_pill",
    "yes_no",
]
