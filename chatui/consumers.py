"""The chat socket: a thin translator between the channel layer and one chat page.

``ChatConsumer`` serves one chat page at ``/ws/chats/<id>/``:

* only the chat's owner: anonymous sockets are closed with 4401, everyone
  else (another user's chat, or no such chat) with 4403; the Origin is checked
  in ``chatui/asgi.py``;
* on connect it joins the chat's group and sends a snapshot (transcript,
  provisional text, callout, provider status line) as fragments htmx swaps by
  id; it also carries the page's sidebar and provider health
  (``chatui.sidebar_consumer.SidebarConsumer``, its base: the owner's group,
  the status of every chat of theirs, ``health.changed`` for the chat's
  provider/model);
* runner events (``chat.event``) are applied in ``seq`` order: older ones are
  dropped, a gap triggers a fresh snapshot instead;
* client frames (``chatui.frames``) become commands of the chats service
  (``chatcore.chats.ChatService``); a refused frame gets a notice fragment and
  changes nothing.

The page state lives in ``chatui.live.ChatView``; the consumer only moves
messages.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from channels.db import aclose_old_connections, database_sync_to_async

from chatcore.chats import ChatService, SendOutcome, chat_group
from chatcore.health import HEALTH_CHANGED
from chatcore.models import Chat
from chatcore.runner.snapshot import chat_snapshot
from chatui import live
from chatui.chat_settings import render_settings
from chatui.frames import ClientFrame, FrameError, parse_frame
from chatui.metrics import OPEN_SOCKETS, PAGE_RESYNCS
from chatui.sidebar_consumer import (
    CLOSE_GONE,
    CLOSE_UNAUTHENTICATED,
    SIDEBAR_MESSAGES,
    SidebarConsumer,
)

__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_GONE",
    "CLOSE_UNAUTHENTICATED",
    "PAGE_RESYNCS",
    "WATCH_INTERVAL",
    "ChatConsumer",
]

log = logging.getLogger(__name__)

# Seconds of silence during an active turn after which the page is resynchronised.
WATCH_INTERVAL = 5.0
CLOSE_FORBIDDEN = 4403

# Refused sends answered with a notice named after the outcome (components/notice.html).
_NOTICES = frozenset(
    {
        SendOutcome.BUSY,
        SendOutcome.CONFLICT,
        SendOutcome.ACTIVE_LIMIT,
        SendOutcome.RATE_LIMIT,
    }
)

P = ParamSpec("P")
R = TypeVar("R")


async def _db(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ORM code off the event loop (closing stale connections, as Channels does)."""
    result: R = await database_sync_to_async(fn)(*args, **kwargs)
    return result


def _owns(chat_id: int, user_id: int) -> bool:
    return Chat.objects.filter(pk=chat_id, owner_id=user_id).exists()


class ChatConsumer(SidebarConsumer):
    """The live socket of one chat page (see the module docstring)."""

    chat_id = 0
    group = ""
    _last_event = 0.0
    _watchdog: asyncio.Task[None] | None = None
    _counted = False  # counted in OPEN_SOCKETS (an authorised chat socket)
    view: live.ChatView | None = None
    _gone = False  # the chat was deleted: the socket is closing

    async def connect(self) -> None:
        # Accept first: a close code reaches the browser only on an open socket.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        chat_id = int(self.scope["url_route"]["kwargs"]["chat_id"])
        if not await _db(_owns, chat_id, user.pk):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.chat_id, self.group = chat_id, chat_group(chat_id)
        OPEN_SOCKETS.inc()
        self._counted = True
        self.current_chat = chat_id
        # Join before the snapshot: events published meanwhile queue up and
        # are then applied or dropped by their seq, so none falls in between.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.watch_health(chat_id)
        await self._resync()
        await self.join_sidebar(int(user.pk))
        self._last_event = time.monotonic()
        self._watchdog = asyncio.create_task(self._watch())

    async def disconnect(self, code: int) -> None:
        if self._counted:
            OPEN_SOCKETS.dec()
            self._counted = False
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await super().disconnect(code)

    async def current_chat_removed(self) -> None:
        """The chat was deleted (in another tab, or through the API): say so, and close."""
        if self._gone:
            return
        self._gone = True
        await self.send(text_data=live.render_notice("deleted"))
        await self.close(code=CLOSE_GONE)

    async def _watch(self) -> None:
        """Ask this consumer to check on a silent turn now and then (``chat_watch``).

        A dropped *last* event leaves no seq gap to notice (Redis pub/sub loses
        whatever is published while a process reconnects); going through our own
        channel keeps the check in order with the events.
        """
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            view = self.view
            if view is None or not view.active:
                continue  # an idle page: nothing can go missing
            if time.monotonic() - self._last_event < WATCH_INTERVAL:
                continue  # events are arriving
            try:
                await self.channel_layer.send(self.channel_name, {"type": "chat.watch"})
            except Exception:  # the layer is down; the socket closes with it
                log.warning("chat %s: watchdog could not reach the channel layer", self.chat_id)

    async def chat_watch(self, message: dict[str, Any]) -> None:
        view = self.view
        if view is None or not view.active:
            return
        if time.monotonic() - self._last_event < WATCH_INTERVAL:
            return
        if view.retry is not None:
            # Waiting out a retry is silent by design; check once it should be over.
            retrying_at = view.retry.retrying_at
            if retrying_at is not None and retrying_at.timestamp() + WATCH_INTERVAL > time.time():
                return
        PAGE_RESYNCS.labels(reason="watchdog").inc()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._resync()
        self._last_event = time.monotonic()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler: a hop
        # to the process's one sync thread per message. Deltas (20 a second per
        # chat) touch no database, and queued behind each other in that thread
        # they made every page's text seconds late; a gap's resync closes them.
        if self._gone:
            return
        kind = message.get("type")
        try:
            if kind == "chat.event" and message.get("event") == "delta":
                await self.chat_event(message)
            elif kind in SIDEBAR_MESSAGES:
                await self._sidebar(message)
            elif kind == HEALTH_CHANGED:
                await self.health_changed(message)  # from the payload alone
            elif kind == "chat.watch":
                await self.chat_watch(message)  # a resync closes stale connections itself
            else:
                await super().dispatch(message)
        except Chat.DoesNotExist:
            # Deleted meanwhile (its runner's last event can come before the news).
            await self.current_chat_removed()

    async def _resync(self) -> live.ChatView:
        await aclose_old_connections()
        snapshot = await chat_snapshot(self.channel_layer, self.chat_id)
        self.view = view = live.ChatView.from_snapshot(snapshot)
        html = live.render_parts(view, live.ALL_PARTS, snapshot["messages"])
        await self.send(text_data=html + self.health_html())
        return view

    async def _show(
        self, parts: frozenset[live.Part], *, notice: str | None = None, accepted: str = ""
    ) -> None:
        assert self.view is not None
        html = ""
        if live.Part.TRANSCRIPT in parts:
            html = await _db(live.render_parts, self.view, parts)
        elif parts:
            html = live.render_parts(self.view, parts)
        if notice is not None:
            html += live.render_notice(notice, accepted=accepted)
        if html:
            await self.send(text_data=html)

    # -- runner events ---------------------------------------------------------
    async def chat_event(self, message: dict[str, Any]) -> None:
        self._last_event = time.monotonic()
        view = self.view
        if view is None:
            return
        seq, event = int(message.get("seq") or 0), str(message.get("event") or "")
        raw = message.get("data")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if seq <= view.seq:
            return
        if seq > view.seq + 1:
            PAGE_RESYNCS.labels(reason="gap").inc()
            view = await self._resync()
            if seq <= view.seq:
                return
            # No runner answered for the live part: take this event's state
            # changes, but not its text (a delta on top of an unknown prefix).
            view.seq = seq
            if event == "delta":
                return
        view.seq = seq
        if event == "delta":
            text = data.get("text")
            if isinstance(text, str) and text:
                html = live.render_delta(view, text)
                if html:
                    await self.send(text_data=html)
            return
        was_active = view.active
        parts = view.apply(event, data)
        # A turn that ended takes a "reply in progress" refusal with it.
        await self._show(parts, notice="" if was_active and not view.active else None)

    # -- client frames ---------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.view is None:
            return
        try:
            frame = parse_frame(text_data, bytes_data)
        except FrameError as refused:
            await self.send(text_data=live.render_notice(refused.code, **refused.params))
            return
        try:
            if frame.action in ("send", "edit", "regenerate"):
                await self._send(frame)
            elif frame.action == "stop":
                await self._stop()
            elif frame.action == "select_version":
                await self._select_version(frame.message_id)
            else:
                await self._retry_now()
        except Chat.DoesNotExist:
            await self.current_chat_removed()

    async def chat_changed(self, message: dict[str, Any]) -> None:
        """The chat changed outside a turn (another page, an operator, its settings): show it
        as it is, header included (and the status line of its model, which may have changed)."""
        await self.watch_health(self.chat_id)
        await self._resync()
        header = await _db(render_settings, self.chat_id)
        if header:
            await self.send(text_data=header)

    @property
    def chats(self) -> ChatService:
        return ChatService(self.channel_layer)

    async def _send(self, frame: ClientFrame) -> None:
        """A send, an edit of the last question or a regenerate: each queues a turn."""
        assert self.view is not None
        if frame.action == "edit":
            result = await self.chats.edit(self.chat_id, frame.message_id, frame.message)
        elif frame.action == "regenerate":
            result = await self.chats.regenerate(
                self.chat_id, client_request_id=frame.client_request_id
            )
        else:
            result = await self.chats.send(self.chat_id, frame.message)
        outcome, error, accepted = result.outcome, result.error, frame.client_request_id
        if outcome is SendOutcome.ACCEPTED:
            await self._show(self.view.turn_queued(), notice="", accepted=accepted)
        elif outcome is SendOutcome.DUPLICATE:
            # A repeat of a stored send (after a reconnect): the composer lets go of it.
            await self.send(text_data=live.render_notice("", accepted=accepted))
        elif outcome is SendOutcome.USAGE_LIMIT and error is not None:
            # The daily limit lasts until tomorrow: the failed callout, with "View usage".
            await self._show(self.view.refused(error), notice="")
        elif outcome in _NOTICES:
            # Passing refusals (the composer keeps its text): a notice, the limit's own words.
            message = error.message if error is not None else ""
            await self.send(text_data=live.render_notice(outcome.value, message=message))
        elif outcome is SendOutcome.NOT_LAST:
            await self.send(text_data=live.render_notice("not_last"))

    async def _select_version(self, message_id: int) -> None:
        if not await self.chats.select_version(self.chat_id, message_id):
            await self.send(text_data=live.render_notice("not_last"))

    async def _stop(self) -> None:
        assert self.view is not None
        told = await self.chats.stop(self.chat_id)
        if not told and self.view.active:
            # Nobody had claimed the turn: it was dequeued and no runner will say so.
            await self._show(self.view.turn_dequeued())

    async def _retry_now(self) -> None:
        assert self.view is not None
        result = await self.chats.retry_now(self.chat_id)
        if result.action == "too_early":
            seconds = max(1, math.ceil(result.seconds_left))
            await self.send(text_data=live.render_notice("too_early", seconds=seconds))
        elif result.action == "requeued":
            await self._show(self.view.turn_queued(), notice="")
        elif result.action == "refused" and result.error is not None:
            notice = live.render_notice(
                SendOutcome.ACTIVE_LIMIT.value, message=result.error.message
            )
            await self.send(text_data=notice)
        elif result.action == "nothing":
            await self.send(text_data=live.render_notice("nothing"))
