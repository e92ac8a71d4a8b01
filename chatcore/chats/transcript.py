"""A chat's transcript as the page and the API show it: the current version of each
message, with the versions of the last question and the last answer, and which answers
a fallback model wrote."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chatcore.models import ChatMessage, ChatRetryEvent, MessageRole

__all__ = ["transcript"]


def transcript(chat_id: int) -> list[dict[str, Any]]:
    """The shown messages in order; the last user message and the last answer carry
    ``versions`` (``{"index", "count", "ids"}``, 1-based) when they have more than one."""
    shown = list(ChatMessage.objects.shown().filter(chat_id=chat_id))
    rows = [_row(message) for message in shown]
    _mark_fallbacks(chat_id, shown, rows)
    last_user = next((m for m in reversed(shown) if m.role == MessageRole.USER), None)
    if last_user is not None:
        root = last_user.version_of_id or last_user.pk
        ids = list(
            ChatMessage.objects.filter(Q(pk=root) | Q(version_of_id=root))
            .order_by("created_at", "id")
            .values_list("id", flat=True)
        )
        _mark(rows, last_user.pk, ids, edit=True)
    if shown and shown[-1].role == MessageRole.ASSISTANT:
        answer = shown[-1]
        ids = [answer.pk]
        if answer.reply_to_id is not None:
            ids = list(
                ChatMessage.objects.filter(reply_to_id=answer.reply_to_id)
                .order_by("created_at", "id")
                .values_list("id", flat=True)
            )
        _mark(rows, answer.pk, ids, regenerate=True)
    return rows


def _row(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "role": message.role,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "stopped": message.stopped,
        "model": message.model,
    }


def _mark_fallbacks(chat_id: int, shown: list[ChatMessage], rows: list[dict[str, Any]]) -> None:
    """``fallback_from``: the model an answer's turn started on, when a fallback wrote it.

    An answer was a fallback's when a retry of its turn switched to the answer's model.
    Its turn began after its question and after any earlier answer to that question (a
    regenerate). One query for a chat that never switched, two for one that did.
    """
    switches = list(
        ChatRetryEvent.objects.filter(chat_id=chat_id)
        .exclude(to_model="")
        .order_by("created_at", "id")
        .values_list("model", "to_model", "created_at")
    )
    if not switches:
        return
    began = {m.pk: m.created_at for m in shown if m.role == MessageRole.USER}
    answered = list(
        ChatMessage.objects.filter(chat_id=chat_id, reply_to__isnull=False).values_list(
            "reply_to_id", "created_at"
        )
    )
    for message, row in zip(shown, rows, strict=True):
        since = began.get(message.reply_to_id or 0)
        if message.role != MessageRole.ASSISTANT or since is None or not message.model:
            continue
        earlier = [at for question, at in answered if question == message.reply_to_id]
        since = max([since, *(at for at in earlier if at < message.created_at)])
        turn = [s for s in switches if since <= s[2] <= message.created_at]
        if any(to_model == message.model for _, to_model, _ in turn):
            row["fallback_from"] = turn[0][0]


def _mark(rows: list[dict[str, Any]], message_id: int, ids: list[int], **last: bool) -> None:
    row = next(row for row in rows if row["id"] == message_id)
    row.update(last)
    if len(ids) > 1 and message_id in ids:
        row["versions"] = {"index": ids.index(message_id) + 1, "count": len(ids), "ids": ids}
