"""The operators' admin: failed chats with their structured errors, providers, retries,
and the provider health page.

It lives in the web layer: it renders the same kind pill as the live UI and
changes chats only through the chats service (``chatcore.chats``). Provider API keys
are write-only here: the admin shows whether one is set, never its value.
Importing this package registers the model admins (Django's autodiscovery).
"""

from __future__ import annotations

from chatui.admin.chats import ChatAdmin, ChatRetryEventAdmin
from chatui.admin.filters import ErrorKindFilter, HasErrorFilter, RetryableFilter, RetryKindFilter
from chatui.admin.health import ProviderHealthAdmin, health_entries
from chatui.admin.health_charts import (
    BAR_WIDTH,
    CHART_HEIGHT,
    CHART_MINUTES,
    Bar,
    KindChart,
    kind_charts,
    minute_floor,
)
from chatui.admin.providers import (
    ModelFallbackFormSet,
    ModelFallbackInline,
    ProviderAdmin,
    ProviderForm,
)
from chatui.admin.rendering import http_status, json_block, kind_pill, yes_no

__all__ = [
    "BAR_WIDTH",
    "CHART_HEIGHT",
    "CHART_MINUTES",
    "Bar",
    "ChatAdmin",
    "ChatRetryEventAdmin",
    "ErrorKindFilter",
    "HasErrorFilter",
    "KindChart",
    "ModelFallbackFormSet",
    "ModelFallbackInline",
    "ProviderAdmin",
    "ProviderForm",
    "ProviderHealthAdmin",
    "RetryKindFilter",
    "RetryableFilter",
    "health_entries",
    "http_status",
    "json_block",
    "kind_charts",
    "kind_pill",
    "minute_floor",
    "yes_no",
]
