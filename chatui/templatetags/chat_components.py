"""Template tags for the chat components (`{% load chat_components %}`).

`{% component "name" ctx %}` renders `templates/components/<name>.html` with a
plain dict as its whole context: the same call the consumer makes with
`render_component`. The other tags build that dict from a raw payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from chatcore.contract import ChatError, ChatRetry, Phase
from chatcore.errors import kind_label as _kind_label
from chatui.components import PageState, callout_context, region_context
from chatui.components import seconds_until as _seconds_until

__all__ = ["COMPONENT_NAMES", "render_component"]

register = template.Library()

# The partials that render alone from a plain dict; the names are an API.
COMPONENT_NAMES = frozenset(
    {
        "callout_region",
        "callout_slot",
        "chat_status_callout",
        "composer",
        "countdown",
        "kind_pill",
        "message",
        "notice",
        "provider_status",
        "sidebar_item",
        "sidebar_items",
        "sidebar_status",
        "transcript",
    }
)


def render_component(name: str, context: Mapping[str, Any] | None = None) -> SafeString:
    """Render one component partial from a plain dict (autoescaping stays on)."""
    if name not in COMPONENT_NAMES:
        raise ValueError(f"unknown component {name!r}")
    return render_to_string(f"components/{name}.html", dict(context or {}))


@register.simple_tag(name="component")
def component_tag(name: str, context: Mapping[str, Any] | None = None) -> SafeString:
    """`{% component "message" msg %}`."""
    return render_component(name, context)


@register.simple_tag
def kind_pill(kind: str) -> SafeString:
    """`{% kind_pill kind %}`: the pill for a raw kind string."""
    return render_component("kind_pill", {"kind": kind, "label": _kind_label(kind)})


@register.simple_tag
def chat_status_callout(phase: str, payload: Mapping[str, Any] | None) -> SafeString:
    """`{% chat_status_callout "failed" chat.last_error %}`: a callout from a raw payload."""
    return render_component("chat_status_callout", callout_context(phase, payload))


@register.simple_tag
def callout_region(state: Mapping[str, Any] | None = None) -> SafeString:
    """`{% callout_region state %}`: the region for a mapping of `PageState` fields, each
    in its JSON form (payloads are read with the contract's tolerant readers)."""
    raw = dict(state or {})
    page = PageState(
        retry=ChatRetry.from_json(raw["retry"]) if raw.get("retry") else None,
        stream_error=ChatError.from_json(raw["stream_error"]) if raw.get("stream_error") else None,
        reconnect=raw.get("reconnect") or None,
        phase=Phase.parse(raw.get("phase")),
        started_at=str(raw.get("started_at") or ""),
        persisted_error=ChatError.from_stored(raw.get("persisted_error")),
    )
    return render_component("callout_region", region_context(page))


@register.filter
def kind_label(kind: str) -> str:
    """`{{ kind|kind_label }}`: the humanised kind, never the raw value."""
    return _kind_label(kind)


@register.filter
def seconds_until(deadline: object) -> int:
    """Whole seconds left until an ISO-8601 deadline, rounded up; 0 when past."""
    return _seconds_until(deadline)
