"""The chats service the web calls: a command's database work, then the runners told.

Web code (the chat socket, the JSON API, the admin) never writes a chat's
state nor spells a runner message: it calls these coroutines. The database
part runs off the event loop, in the caller's database thread (a consumer's
stale connections are closed by Channels before each of its handlers);
runners are then woken or told through the channel layer. Runners also poll
the database, so a lost message only delays a turn by the poll interval, and a
lost stop is seen at the next lease renewal.

The owner's open pages hear of every change of a chat as their sidebar lists
it (``messaging.user_group``): a new chat, a title, a new turn, a rename, a
deletion; the runner adds each phase change of a turn. An open page of the
chat itself hears of changes made outside it (a version shown, an operator's
"Clear error" or "Re-queue", a settings change) and takes a fresh snapshot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async

from chatcore.chats import commands, listing, manage, messaging
from chatcore.chats.admission import Limits
from chatcore.chats.commands import RetryNow, SendOutcome, SendResult
from chatcore.chats.summary import ChatSummary
from chatcore.chats.validation import Outgoing
from chatcore.models import Chat, Provider

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["ChatService"]

log = logging.getLogger(__name__)


class ChatService:
    """Commands on chats, for a process whose channel layer is ``layer``."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer

    async def send(
        self, chat_id: int, message: Outgoing, *, limits: Limits | None = None
    ) -> SendResult:
        """Store and queue a validated message (see ``commands.send``); wakes the runners.

        ``limits``: the user's own limits; the settings' when None.
        """
        result: SendResult = await sync_to_async(_send)(chat_id, message, limits)
        if result.outcome is SendOutcome.ACCEPTED:
            await self._wake()
            await self._announce(chat_id)
        return result

    async def regenerate(
        self, chat_id: int, *, client_request_id: str = "", limits: Limits | None = None
    ) -> SendResult:
        """Answer the last question again (``commands.regenerate``); wakes the runners."""
        result: SendResult = await sync_to_async(_regenerate)(chat_id, client_request_id, limits)
        if result.outcome is SendOutcome.ACCEPTED:
            await self._wake()
            await self._announce(chat_id)
        return result

    async def edit(
        self, chat_id: int, message_id: int, message: Outgoing, *, limits: Limits | None = None
    ) -> SendResult:
        """Send a new version of the last question (``commands.edit_last``)."""
        result: SendResult = await sync_to_async(_edit)(chat_id, message_id, message, limits)
        if result.outcome is SendOutcome.ACCEPTED:
            await self._wake()
            await self._announce(chat_id)
        return result

    async def select_version(self, chat_id: int, message_id: int) -> bool:
        """Show another version of the last question or answer, on every open page."""
        changed: bool = await sync_to_async(_select_version)(chat_id, message_id)
        if changed:
            await self.changed(chat_id)
        return changed

    async def changed(self, chat_id: int) -> None:
        """Tell every open page of the chat that its state changed outside a turn."""
        try:
            await messaging.chat_changed(self.layer, chat_id)
        except Exception:
            log.warning("could not tell the pages of chat %s to refresh", chat_id, exc_info=True)

    async def stop(self, chat_id: int) -> bool:
        """Stop the turn; False when no runner held it (a queued turn was just dequeued)."""
        runner = await sync_to_async(_stop)(chat_id)
        if runner:
            await messaging.tell_runner(self.layer, runner, messaging.STOP, chat_id)
        else:
            await self._announce(chat_id)  # dequeued: no runner will say so
        return bool(runner)

    async def retry_now(self, chat_id: int, *, limits: Limits | None = None) -> RetryNow:
        """Cut a retry wait short, or re-queue a failed turn (``commands.request_retry_now``)."""
        result: RetryNow = await sync_to_async(_retry_now)(chat_id, limits)
        if result.action == "skipped" and result.lease_owner:
            await messaging.tell_runner(
                self.layer, result.lease_owner, messaging.RETRY_NOW, chat_id
            )
        elif result.action == "requeued":
            await self._wake()
            await self._announce(chat_id)
        return result

    async def requeue(self, chat: Chat) -> bool:
        """An operator re-queues a chat's last turn; False when there is none to re-queue.
        Open pages of the chat show it starting at once."""
        queued: bool = await sync_to_async(commands.requeue_last_turn)(chat)
        if queued:
            await self._wake()
            await self.changed(chat.pk)
            await self._announce(chat.pk)
        return queued

    async def clear_error(self, chat: Chat) -> None:
        """An operator forgets a chat's last error; a failed chat becomes idle."""
        await sync_to_async(commands.clear_error)(chat)
        await self.changed(chat.pk)
        await self._announce(chat.pk)

    # -- managing chats ----------------------------------------------------------
    async def create(
        self,
        *,
        owner: User,
        provider: Provider,
        model: str = "",
        title: str = "",
        system_prompt: str = "",
    ) -> Chat:
        """A new chat (``commands.create_chat``); the owner's other pages list it."""
        chat: Chat = await sync_to_async(commands.create_chat)(
            owner=owner, provider=provider, model=model, title=title, system_prompt=system_prompt
        )
        await self._announce(chat.pk)
        return chat

    async def rename(self, chat_id: int, title: object) -> ChatSummary | None:
        """Rename (``manage.rename``; ``SettingsRefused`` for a title it refuses); the
        new entry (None if the chat was deleted meanwhile)."""
        await sync_to_async(_rename)(chat_id, title)
        return await self._announce(chat_id)

    async def update_settings(
        self,
        chat_id: int,
        *,
        provider: Provider | None = None,
        model: str | None = None,
        system_prompt: object = None,
        allow_fallback: bool | None = None,
    ) -> Chat:
        """Switch the next turn's model, set the system prompt, allow model fallbacks
        (``manage.update_settings``); every open page of the chat shows the new settings."""
        chat: Chat = await sync_to_async(_update_settings)(
            chat_id,
            provider=provider,
            model=model,
            system_prompt=system_prompt,
            allow_fallback=allow_fallback,
        )
        await self.changed(chat_id)
        return chat

    async def delete(self, chat_id: int) -> None:
        """Stop the chat's turn, then delete it for good (``manage.delete_chat``); the
        owner's pages drop it, and an open page of it says it is gone."""
        owner_id, runner = await sync_to_async(_delete)(chat_id)
        if runner:
            await messaging.tell_runner(self.layer, runner, messaging.STOP, chat_id)
        try:
            await messaging.publish_removed(self.layer, owner_id, chat_id)
        except Exception:
            log.warning("could not tell the pages that chat %s is gone", chat_id, exc_info=True)

    async def _announce(self, chat_id: int) -> ChatSummary | None:
        """Publish the chat's sidebar entry, as stored, to its owner's pages."""
        found = await sync_to_async(_summary)(chat_id)
        if found is None:
            return None  # deleted meanwhile: its removal was announced
        owner_id, summary = found
        try:
            await messaging.publish_summary(self.layer, owner_id, summary)
        except Exception:
            log.warning("could not tell the owner of chat %s", chat_id, exc_info=True)
        return summary

    async def _wake(self) -> None:
        try:
            await messaging.wake_runners(self.layer)
        except Exception:
            # The layer is down: the turn is queued all the same and runners poll.
            log.warning("could not wake the runners; they will poll", exc_info=True)


def _send(chat_id: int, message: Outgoing, limits: Limits | None) -> SendResult:
    return commands.send(Chat.objects.get(pk=chat_id), message, limits=limits)


def _regenerate(chat_id: int, request_id: str, limits: Limits | None) -> SendResult:
    chat = Chat.objects.get(pk=chat_id)
    return commands.regenerate(chat, client_request_id=request_id, limits=limits)


def _edit(chat_id: int, message_id: int, message: Outgoing, limits: Limits | None) -> SendResult:
    return commands.edit_last(Chat.objects.get(pk=chat_id), message_id, message, limits=limits)


def _select_version(chat_id: int, message_id: int) -> bool:
    return commands.select_version(Chat.objects.get(pk=chat_id), message_id)


def _stop(chat_id: int) -> str:
    return commands.request_stop(Chat.objects.get(pk=chat_id))


def _retry_now(chat_id: int, limits: Limits | None) -> RetryNow:
    return commands.request_retry_now(Chat.objects.get(pk=chat_id), limits=limits)


def _summary(chat_id: int) -> tuple[int, ChatSummary] | None:
    chat = Chat.objects.filter(pk=chat_id).first()
    return None if chat is None else (chat.owner_id, listing.summary_of(chat))


def _rename(chat_id: int, title: object) -> str:
    return manage.rename(Chat.objects.get(pk=chat_id), title)


def _update_settings(chat_id: int, **options: Any) -> Chat:
    chat = Chat.objects.select_related("provider").get(pk=chat_id)
    return manage.update_settings(chat, **options)


def _delete(chat_id: int) -> tuple[int, str]:
    chat = Chat.objects.get(pk=chat_id)
    return chat.owner_id, manage.delete_chat(chat)
