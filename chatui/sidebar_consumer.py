"""The sidebar's socket: the live status of every chat of the user, owner-only.

``SidebarConsumer`` serves ``/ws/sidebar/`` (pages with no chat open) and is
the base of ``ChatConsumer`` (a chat page's one socket carries its sidebar
too). It joins the group of the signed-in user (``user_<id>``; never one
named by the client, so nobody can listen to another user's chats) and turns
its messages into the sidebar's inbox fragments (``chatui.sidebar``):

* ``chat.status`` (the runner, on each phase change of a turn: a few per turn,
  never per token): the entry's status line, rendered from the payload alone;
* ``chat.summary`` (a chat created, titled, renamed, or given a new turn): the
  whole entry;
* ``chat.removed``: the entry goes; a page showing that chat says it is gone.

None of them reads the database. On (re)connect it sends the entries that
changed since the page was rendered (``?since=``), so nothing published while
the socket was away stays wrong. An anonymous socket is closed with 4401.

A page that shows provider health (the new-chat picker, ``?health=1``; every chat
page) also joins ``HEALTH_GROUP``: each ``health.changed`` about a provider/model
the page shows becomes its status slot (``chatui.provider_status.HealthWatch``,
from the payload alone; others are dropped).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from chatcore.chats import ChatSummary, LiveStatus, updated_since, user_group
from chatcore.chats.messaging import CHAT_REMOVED, CHAT_STATUS, CHAT_SUMMARY
from chatcore.contract import parse_utc
from chatcore.health import HEALTH_CHANGED, HEALTH_GROUP
from chatui.provider_status import HealthWatch
from chatui.sidebar import render_removed, render_status_update, render_upserts

__all__ = ["CLOSE_GONE", "CLOSE_UNAUTHENTICATED", "SIDEBAR_MESSAGES", "SidebarConsumer"]

CLOSE_UNAUTHENTICATED = 4401
CLOSE_GONE = 4404  # the open chat was deleted
# The user group's messages: none needs the database, so none needs Channels' thread hop.
SIDEBAR_MESSAGES = frozenset({CHAT_STATUS, CHAT_SUMMARY, CHAT_REMOVED})


class SidebarConsumer(AsyncWebsocketConsumer):
    """The live sidebar of one page (see the module docstring)."""

    owner_id = 0
    sidebar_group = ""
    current_chat = 0  # the chat the page shows (ChatConsumer), 0 for none
    health: HealthWatch | None = None  # the provider health the page shows, if any
    _health_joined = False

    async def connect(self) -> None:
        await self.accept()  # first: a close code reaches the browser only on an open socket
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.join_sidebar(int(user.pk))
        if _query(self.scope).get("health") == ["1"]:
            await self.watch_health()
            await self.send(text_data=self.health_html())

    async def disconnect(self, code: int) -> None:
        if self.sidebar_group:
            await self.channel_layer.group_discard(self.sidebar_group, self.channel_name)
        if self._health_joined:
            await self.channel_layer.group_discard(HEALTH_GROUP, self.channel_name)

    async def watch_health(self, chat_id: int = 0) -> None:
        """Follow provider health for chat ``chat_id``'s page (0: the new-chat picker).

        Joins the group before reading the rows, so no change falls in between."""
        if not self._health_joined:
            await self.channel_layer.group_add(HEALTH_GROUP, self.channel_name)
            self._health_joined = True
        if chat_id:
            self.health = await database_sync_to_async(HealthWatch.for_chat_id)(chat_id)
        else:
            self.health = await database_sync_to_async(HealthWatch.for_picker)()

    def health_html(self) -> str:
        """The page's status slot as it is now (a fragment swapped by id)."""
        return self.health.render(oob=True) if self.health is not None else ""

    async def health_changed(self, message: dict[str, Any]) -> None:
        """A provider/model's health changed: the page's status slot, if it shows it."""
        html = self.health.update(message.get("health")) if self.health is not None else ""
        if html:
            await self.send(text_data=html)

    async def join_sidebar(self, user_id: int) -> None:
        """Listen to the user's group, then catch up on what changed since the page's render."""
        self.owner_id, self.sidebar_group = user_id, user_group(user_id)
        await self.channel_layer.group_add(self.sidebar_group, self.channel_name)
        since = parse_utc(_query(self.scope).get("since", [""])[0])
        if since is None:
            return
        changed = await database_sync_to_async(updated_since)(user_id, since)
        html = render_upserts(changed, current=self.current_chat)
        if html:
            await self.send(text_data=html)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The sidebar's socket takes nothing from the page."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") in SIDEBAR_MESSAGES:
            await self._sidebar(message)
        elif message.get("type") == HEALTH_CHANGED:
            await self.health_changed(message)  # from the payload: no database, no thread hop
        else:
            await super().dispatch(message)

    async def _sidebar(self, message: dict[str, Any]) -> None:
        kind, chat_id = message.get("type"), message.get("chat")
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            return
        if kind == CHAT_STATUS:
            status = LiveStatus.from_json(message.get("status"))
            await self.send(text_data=render_status_update(chat_id, status))
        elif kind == CHAT_SUMMARY:
            summary = ChatSummary.from_json(message.get("summary"))
            if summary is not None:
                await self.send(text_data=self.summary_html(summary))
        else:
            await self.send(text_data=render_removed(chat_id))
            if chat_id == self.current_chat:
                await self.current_chat_removed()

    def summary_html(self, summary: ChatSummary) -> str:
        html = render_upserts([summary], current=self.current_chat)
        if summary.chat_id == self.current_chat:
            # The open chat's header shows the new title too.
            html += render_to_string(
                "chats/_chat_title.html", {"title": summary.shown_title, "oob": True}
            )
        return html

    async def current_chat_removed(self) -> None:
        """The open chat was deleted (ChatConsumer says so on the page)."""


def _query(scope: dict[str, Any]) -> dict[str, list[str]]:
    raw = scope.get("query_string", b"")
    return parse_qs(raw.decode("latin-1") if isinstance(raw, bytes) else str(raw))
