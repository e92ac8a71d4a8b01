"""The chats service: every command on a chat and every change of its state.

* ``validation``: what a user may send (one validator for socket and API);
* ``admission``: the user's own limits (turns in flight, sends per minute,
  turns per day), decided under the user's row lock;
* ``commands``: create, send, stop, retry now, clear error, re-queue (sync ORM);
* ``lifecycle``: every write of a chat's status and lease, users' and runners';
* ``messaging``: the channel-layer names and runner messages;
* ``service.ChatService``: the async commands the web calls (database, then
  the runners told).
"""

from __future__ import annotations

from chatcore.chats.admission import Limits, turns_used_today, usage_limit_error
from chatcore.chats.commands import RetryNow, SendOutcome, SendResult, create_chat
from chatcore.chats.messaging import chat_group
from chatcore.chats.service import ChatService
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
    "ChatService",
    "Limits",
    "MessageRefused",
    "Outgoing",
    "RetryNow",
    "SendOutcome",
    "SendResult",
    "chat_group",
    "create_chat",
    "storable_text",
    "turns_used_today",
    "usage_limit_error",
    "validate_message",
    "validate_request_id",
]
