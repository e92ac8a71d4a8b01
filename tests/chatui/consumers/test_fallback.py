"""A model fallback seen through the chat socket: the switch in the callout, the answer once,
and which model wrote it."""

from __future__ import annotations

import pytest

from chatcore.models import Chat, ModelFallback
from chatcore.retry import RetryPolicy
from chatui.gallery.dom import Node, select, text_of
from tests.chatui.consumers.conftest import (
    assistant_texts,
    db,
    make_chat,
    make_user,
    running,
    session_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = RetryPolicy(initial_delay=0.2, max_delay=0.2, max_attempts=3)
# An operator may type anything as a model name; the fake provider answers any model.
ODD = '<i class="x">odd</i> & "co"'


def _fallback_chat(fake, owner, to_model: str) -> Chat:
    chat = make_chat(fake, owner, "demo-fallback")
    ModelFallback.objects.create(
        provider=chat.provider, model="demo-fallback", to_model=to_model, after_attempts=1
    )
    return chat


async def _until_answered(frames) -> Node:
    while True:
        frame = await frames.until("#transcript")
        if select(frame, '[data-role="assistant"]') and not select(frame, "[data-provisional]"):
            return frame


async def test_the_switch_is_shown_escaped_and_the_answer_names_its_model(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(_fallback_chat)(fake, owner, ODD)
    cookie = await db(session_cookie)(owner)
    async with running(layer, policy=QUICK), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi", "client_request_id": "r1"})
        retrying = await frames.until("[data-callout] [data-fallback]")
        (note,) = select(retrying, "[data-callout] [data-fallback]")
        assert (note.attrs["data-from-model"], note.attrs["data-to-model"]) == (
            "demo-fallback",
            ODD,
        )
        assert note.attrs["data-reason"] == "overloaded"
        assert text_of(note) == f"Switched to {ODD}: the AI provider's demo-fallback is overloaded."
        assert not select(note, "i"), "a model name is text, never markup"
        assert text_of(select(retrying, "[data-callout-title]")[0]) == "Switching model"
        final = await _until_answered(frames)

    (answer,) = select(final, '#transcript [data-role="assistant"]')
    (written_by,) = select(answer, "[data-fallback-answer]")
    assert (written_by.attrs["data-model"], written_by.attrs["data-from-model"]) == (
        ODD,
        "demo-fallback",
    )
    assert text_of(written_by) == f"Answered by {ODD} (fallback from demo-fallback)"
    assert not select(answer, "[data-fallback-answer] i")
    texts = await db(assistant_texts)(chat.pk)
    assert texts == [text_of(select(answer, "[data-message-content]")[0])], "stored once"


async def test_an_answer_of_the_chats_own_model_has_no_fallback_note(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner, "echo")
    cookie = await db(session_cookie)(owner)
    async with running(layer, policy=QUICK), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi", "client_request_id": "r1"})
        final = await _until_answered(frames)
    (answer,) = select(final, '#transcript [data-role="assistant"]')
    assert not select(answer, "[data-fallback-answer]")
