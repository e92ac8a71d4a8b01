"""The chats service: every command on a chat and every change of its state.

* ``validation``: what a user may send (one validator for socket and API);
* ``admission``: the user's own limits (turns in flight, sends per minute,
  turns per day), decided under the user's row lock;
* ``commands``: create, send, stop, retry now, clear error, re-queue (sync ORM);
* ``manage``: rename, switch model or system prompt, delete (sync ORM);
* ``titles``: the automatic title from the first message, what a rename accepts;
* ``listing``: the user's chats as the sidebar lists them, and search;
* ``summary``: a chat's sidebar entry and live status, as the pages receive them;
* ``lifecycle``: every write of a chat's status and lease, users' and runners';
* ``messaging``: the channel-layer names and runner messages;
* ``service.ChatService``: the async commands the web calls (database, then
  the runners and the pages told).
"""

from __future__ import annotations

from chatcore.chats.admission import Limits, turns_used_today, usage_limit_error
from chatcore.chats.commands import RetryNow, SendOutcome, SendResult, create_chat
from chatcore.chats.listing import (
    SearchHit,
    Snippet,
    live_status,
    recent_chats,
    search_chats,
    summary_of,
    updated_since,
)
from chatcore.chats.manage import (
    MAX_SYSTEM_PROMPT_CHARS,
    SettingsRefused,
    offered_models,
)
from chatcore.chats.messaging import chat_group, user_group
from chatcore.chats.service import ChatService
from chatcore.chats.summary import UNTITLED, ChatSummary, LiveStatus, display_title
from chatcore.chats.titles import MAX_TITLE_CHARS, auto_title
from chatcore.chats.validation import (
    MAX_CLIENT_ID_CHARS,
    MAX_MESSAGE_CHARS,
    MessageRefused,
    Outgoing,
    storable_text,
    validate_message,
    validate_request_id,
)

__all__ = [
    "MAX_CLIENT_ID_CHARS",
    "MAX_MESSAGE_CHARS",
    "MAX_SYSTEM_PROMPT_CHARS",
    "MAX_TITLE_CHARS",
    "UNTITLED",
    "ChatService",
    "ChatSummary",
    "Limits",
    "LiveStatus",
    "MessageRefused",
    "Outgoing",
    "RetryNow",
    "SearchHit",
    "SendOutcome",
    "SendResult",
    "SettingsRefused",
    "Snippet",
    "auto_title",
    "chat_group",
    "create_chat",
    "display_title",
    "live_status",
    "offered_models",
    "recent_chats",
    "search_chats",
    "storable_text",
    "summary_of",
    "turns_used_today",
    "updated_since",
    "usage_limit_error",
    "user_group",
    "validate_message",
    "validate_request_id",
]
