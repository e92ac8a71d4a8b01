"""The user's chats as the sidebar lists them, and search over their titles and messages.

Everything here is filtered by owner first (the ``chat_owner_recent_idx``
index), so one user's query never reads, or reveals, another user's chats.

Search matches every word of the query, in any order: in the title, or in one
shown message. On PostgreSQL messages are matched with full-text search
(``to_tsvector`` in the configuration ``CHAT_SEARCH_CONFIG``, ``simple`` by
default; ``english`` adds stemming), each word as a prefix; on SQLite each
word must occur in the text (case-insensitive for ASCII). A hit carries a
snippet of the newest matching message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from chatcore.chats.summary import ChatSummary, LiveStatus
from chatcore.contract import ChatError, ChatRetry, Phase
from chatcore.models import ACTIVE_STATUSES, Chat, ChatMessage, ChatStatus

__all__ = [
    "MAX_QUERY_CHARS",
    "RECENT_LIMIT",
    "SearchHit",
    "Snippet",
    "live_status",
    "recent_chats",
    "search_chats",
    "search_terms",
    "summary_of",
    "updated_since",
]

RECENT_LIMIT = 100  # entries the sidebar lists; search finds the older ones
MAX_QUERY_CHARS = 200
_MAX_TERMS = 8
_WORDS = re.compile(r"\w+")
_SUMMARY_FIELDS = ("id", "title", "status", "live_state", "last_error", "updated_at")


def live_status(chat: Chat) -> LiveStatus:
    """The status a chat row stands for (the runner's events keep pages current after)."""
    live = chat.live_state if isinstance(chat.live_state, dict) else {}
    if chat.status == ChatStatus.PENDING:
        return LiveStatus(Phase.STARTING)
    if chat.status == ChatStatus.RUNNING:
        reported = Phase.parse(live.get("phase"), Phase.STARTING)
        return LiveStatus(Phase.STREAMING if reported is Phase.STREAMING else Phase.STARTING)
    if chat.status == ChatStatus.WAITING_RETRY:
        raw = live.get("retry")
        retry = ChatRetry.from_json(raw) if isinstance(raw, dict) else None
        return LiveStatus(Phase.RETRYING, retry, retry.kind if retry is not None else "")
    if chat.status == ChatStatus.FAILED:
        error = chat.error or ChatError(message="")
        return LiveStatus(Phase.FAILED, kind=error.kind)
    return LiveStatus(Phase.IDLE)


def summary_of(chat: Chat) -> ChatSummary:
    return ChatSummary(
        chat_id=chat.pk, title=chat.title, status=live_status(chat), activity=chat.updated_at
    )


def _owned(owner_id: int) -> QuerySet[Chat]:
    return Chat.objects.filter(owner_id=owner_id).only(*_SUMMARY_FIELDS)


def recent_chats(owner_id: int, *, limit: int = RECENT_LIMIT) -> list[ChatSummary]:
    """The owner's chats, newest activity first."""
    return [summary_of(chat) for chat in _owned(owner_id).order_by("-updated_at", "-id")[:limit]]


def updated_since(
    owner_id: int, since: datetime, *, limit: int = RECENT_LIMIT
) -> list[ChatSummary]:
    """Chats that changed since a page was rendered, or whose turn is in flight (a phase
    change does not always touch ``updated_at``): what a reconnecting page refreshes."""
    changed = Q(updated_at__gte=since) | Q(status__in=ACTIVE_STATUSES)
    chats = _owned(owner_id).filter(changed).order_by("-updated_at", "-id")[:limit]
    return [summary_of(chat) for chat in chats]


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of a matching message: the text before the match, the match, the rest."""

    before: str
    match: str
    after: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    summary: ChatSummary
    snippet: Snippet | None  # None: the title matched, no message did


def search_terms(query: object) -> list[str]:
    """The words of a query (at most eight; punctuation is not searched for)."""
    if not isinstance(query, str):
        return []
    words = _WORDS.findall(query[:MAX_QUERY_CHARS].lower())
    return list(dict.fromkeys(words))[:_MAX_TERMS]


def search_chats(owner_id: int, query: object, *, limit: int = 50) -> list[SearchHit]:
    """The owner's chats whose title or a shown message has every word of ``query``,
    newest activity first."""
    terms = search_terms(query)
    if not terms:
        return []
    titled = Q()
    for term in terms:
        titled &= Q(title__icontains=term)
    title_ids = set(_owned(owner_id).filter(titled).values_list("id", flat=True)[:limit])
    snippets: dict[int, Snippet] = {}
    rows = _matching_messages(owner_id, terms).order_by("-created_at", "-id")
    for chat_id, content in rows.values_list("chat_id", "content")[: limit * 10]:
        if chat_id not in snippets and len(snippets) < limit:
            snippets[chat_id] = _snippet(_text(content), terms)
    ids = title_ids | set(snippets)
    chats = _owned(owner_id).filter(id__in=ids).order_by("-updated_at", "-id")[:limit]
    return [SearchHit(summary_of(chat), snippets.get(chat.pk)) for chat in chats]


def _message_text() -> KeyTextTransform:
    # Messages hold one text part (``text_parts``): its text is the searched text.
    return KeyTextTransform("text", KeyTransform("0", "content"))


def _matching_messages(owner_id: int, terms: list[str]) -> QuerySet[ChatMessage]:
    messages = ChatMessage.objects.shown().filter(chat__owner_id=owner_id)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        config = settings.CHAT_SEARCH_CONFIG
        # Each word as a prefix ("retr" finds "retry"); \w+ words need no escaping,
        # quoting them keeps the raw query well-formed whatever they contain.
        raw = " & ".join(f"'{term}':*" for term in terms)
        return messages.annotate(document=SearchVector(_message_text(), config=config)).filter(
            document=SearchQuery(raw, search_type="raw", config=config)
        )
    matching = Q()
    for term in terms:
        matching &= Q(content__0__text__icontains=term)
    return messages.filter(matching)


def _text(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        text = content[0].get("text")
        return text if isinstance(text, str) else ""
    return ""


def _snippet(text: str, terms: list[str], *, before: int = 30, after: int = 90) -> Snippet:
    """About a line of ``text`` around the first word of the query found in it."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    found = [(lowered.find(term), term) for term in terms if term in lowered]
    if not found:  # a stemmed match: the words differ; show the start
        end = before + after
        return Snippet("", "", flat[:end] + ("…" if len(flat) > end else ""))
    start, term = min(found)
    head_from = max(0, start - before)
    tail_to = start + len(term) + after
    head = ("…" if head_from else "") + flat[head_from:start]
    tail = flat[start + len(term) : tail_to] + ("…" if tail_to < len(flat) else "")
    return Snippet(head, flat[start : start + len(term)], tail)
