"""The sidebar of the user's chats: its entries, groups, search results and live fragments.

The sidebar is rendered with the page (``list_context``, ``search_context``)
and kept current over the page's socket. Live changes never swap an entry by
id (a search may have left it out, and htmx reports a missing target as an
error): they are appended to the hidden ``#sidebar-inbox``, and
``static/js/sidebar.js`` applies each one to the entry it names, when the
page shows it:

* a whole entry (``data-sidebar-chat``): replaces the shown one, or joins the
  list when it is new and no search is shown;
* ``data-sidebar-update``: a new status for an entry (from the payload alone:
  no database read per phase change);
* ``data-sidebar-removed``: the chat was deleted.

Groups (Today, Previous 7 days, Older) are computed here in the server's time
zone for the first paint; the browser regroups by its own clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from chatcore.chats import ChatSummary, LiveStatus, SearchHit, Snippet
from chatcore.contract import Phase, format_utc
from chatcore.errors import kind_label
from chatui.templatetags.chat_components import render_component

__all__ = [
    "GROUPS",
    "INBOX_ID",
    "item_context",
    "list_context",
    "render_item",
    "render_removed",
    "render_status_update",
    "render_upserts",
    "search_context",
    "status_context",
]

INBOX_ID = "sidebar-inbox"
_INBOX = f'<div hx-swap-oob="beforeend:#{INBOX_ID}">{{}}</div>'

# (key, heading, the oldest day it holds, counted back from today); newest first.
GROUPS: tuple[tuple[str, str, int | None], ...] = (
    ("today", "Today", 0),
    ("week", "Previous 7 days", 7),
    ("older", "Older", None),
)

_PHASE_TEXT = {
    Phase.STARTING: "Thinking…",
    Phase.STREAMING: "Answering…",
    Phase.RETRYING: "Retrying",
    Phase.FAILED: "Failed",
}


def status_context(status: LiveStatus) -> dict[str, Any]:
    """What an entry's status line shows: a word, a retry's countdown, a failure's kind."""
    retry = status.retry
    return {
        "phase": status.phase.value,
        "text": _PHASE_TEXT.get(status.phase, ""),
        "kind": status.kind,
        "kind_label": kind_label(status.kind) if status.kind else "",
        "deadline": format_utc(retry.retrying_at) if retry and retry.retrying_at else "",
    }


def item_context(
    summary: ChatSummary, *, current: int = 0, snippet: Snippet | None = None
) -> dict[str, Any]:
    """The ``sidebar_item`` component's dict."""
    return {
        "chat_id": summary.chat_id,
        "title": summary.shown_title,
        "activity": format_utc(summary.activity) if summary.activity else "",
        "current": summary.chat_id == current,
        "status": status_context(summary.status),
        "snippet": snippet,
    }


def render_item(
    summary: ChatSummary, *, current: int = 0, snippet: Snippet | None = None
) -> SafeString:
    return render_component("sidebar_item", item_context(summary, current=current, snippet=snippet))


def _inbox(html: str) -> SafeString:
    return mark_safe(_INBOX.format(html))  # rendered partials: escaped


def render_upserts(summaries: Iterable[ChatSummary], *, current: int = 0) -> SafeString:
    """Entries for the inbox ("" when there are none)."""
    items = "".join(render_item(summary, current=current) for summary in summaries)
    return _inbox(items) if items else mark_safe("")


def render_status_update(chat_id: int, status: LiveStatus) -> SafeString:
    """A new status for one entry, rendered from the payload alone."""
    context = {"chat_id": chat_id, "status": status_context(status), "update": True}
    return _inbox(render_component("sidebar_status", context))


def render_removed(chat_id: int) -> SafeString:
    return _inbox(f'<div data-sidebar-removed="{int(chat_id)}"></div>')


def _group_of(activity: datetime | None, today: datetime) -> str:
    if activity is None:
        return GROUPS[-1][0]
    day = timezone.localtime(activity).date()
    for key, _heading, days in GROUPS:
        if days is not None and day >= (today - timedelta(days=days)).date():
            return key
    return GROUPS[-1][0]


def list_context(
    summaries: Sequence[ChatSummary], *, current: int = 0, now: datetime | None = None
) -> dict[str, Any]:
    """The recent chats in their groups (every group is rendered, empty ones hidden, so the
    browser can move an entry into any of them)."""
    today = timezone.localtime(now or timezone.now())
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in GROUPS}
    for summary in summaries:
        grouped[_group_of(summary.activity, today)].append(item_context(summary, current=current))
    return {
        "searching": False,
        "empty": not summaries,
        "groups": [
            {"key": key, "heading": heading, "items": grouped[key]} for key, heading, _ in GROUPS
        ],
    }


def search_context(hits: Sequence[SearchHit], query: str, *, current: int = 0) -> dict[str, Any]:
    return {
        "searching": True,
        "query": query,
        "items": [item_context(hit.summary, current=current, snippet=hit.snippet) for hit in hits],
    }
