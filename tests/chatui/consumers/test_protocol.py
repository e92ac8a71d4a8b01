"""The live event protocol as the socket applies it: seq order, gaps, reconnects."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from chatcore.chats import chat_group
from chatui.gallery.dom import select, text_of
from tests.chatui.consumers.conftest import (
    assistant_texts,
    chat_event,
    db,
    delta_text,
    make_chat,
    make_user,
    running,
    session_cookie,
    socket,
)
from tests.streaming import StreamedAnswer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_stale_and_repeated_events_are_dropped(fake, layer) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    group = chat_group(chat.pk)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await layer.group_send(group, chat_event(chat.pk, 1, "status", {"phase": "starting"}))
        starting = await frames.next()
        assert select(starting, '[data-callout][data-phase="starting"]')
        await layer.group_send(group, chat_event(chat.pk, 2, "status", {"phase": "streaming"}))
        await frames.next()
        await layer.group_send(group, chat_event(chat.pk, 3, "delta", {"text": "Hel"}))
        await layer.group_send(group, chat_event(chat.pk, 3, "delta", {"text": "Hel"}))
        await layer.group_send(group, chat_event(chat.pk, 2, "delta", {"text": "old"}))
        await layer.group_send(group, chat_event(chat.pk, 4, "delta", {"text": "lo"}))
        first = await frames.next()
        second = await frames.next()
        await frames.communicator.receive_nothing(timeout=0.3)
    # Two frames (seq 3 and 4); the stale and repeated ones changed nothing.
    assert [text_of(first), text_of(second)] == ["Hel", "Hello"]
    assert delta_text(frames.received) == "Hello"


def _resyncs(reason: str) -> float:
    return REGISTRY.get_sample_value("chat_page_resyncs_total", {"reason": reason}) or 0.0


async def test_a_gap_in_seq_takes_a_fresh_snapshot_instead_of_applying(fake, layer) -> None:
    gaps_before = _resyncs("gap")
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    group = chat_group(chat.pk)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        # Seq 1..4 were lost: the delta cannot be placed, the page resynchronises.
        await layer.group_send(group, chat_event(chat.pk, 5, "delta", {"text": "orphan"}))
        snapshot = await frames.next()
        assert select(snapshot, "#transcript") and select(snapshot, "#chat-callout-slot")
        await frames.communicator.receive_nothing(timeout=0.3)
        # The next event in order applies normally.
        await layer.group_send(group, chat_event(chat.pk, 6, "status", {"phase": "starting"}))
        starting = await frames.next()
    assert "orphan" not in "".join(frames.received)
    assert select(starting, '[data-callout][data-phase="starting"]')
    assert _resyncs("gap") == gaps_before + 1, "counted once, for operators"


async def test_reopening_mid_retry_shows_the_same_deadline_and_the_streamed_text(
    fake, layer
) -> None:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner, "scripted")
    cookie = await db(session_cookie)(owner)
    script = [{"kind": "rate_limit", "retry_after": 3}, {"kind": "ok", "tokens": 300, "rate": 40}]
    async with running(layer, scenario=script):
        async with socket(chat.pk, cookie) as frames:
            await frames.next()
            await frames.send({"content": "hi"})
            frame = await frames.until('[data-phase="retrying"]')
            deadline = select(frame, "[data-countdown]")[0].attrs["data-deadline"]
        # The tab is closed; the turn goes on. A new tab sees the same countdown.
        async with socket(chat.pk, cookie) as frames:
            snapshot = await frames.next()
            (countdown,) = select(snapshot, '[data-phase="retrying"] [data-countdown]')
            assert countdown.attrs["data-deadline"] == deadline
            await frames.until("[data-turn-stop]")
        # Reopened mid-stream: the snapshot carries the text streamed so far.
        async with socket(chat.pk, cookie) as frames:
            snapshot = await frames.next()
            (provisional,) = select(snapshot, "[data-provisional] [data-message-content]")
            assert text_of(provisional), "the provisional text streamed so far is in the snapshot"
            page = StreamedAnswer()
            page.apply(frames.received[0])
            while True:
                frame = await frames.next(within=30)
                raw = frames.received[-1]
                if select(frame, "#transcript") and not select(frame, "[data-provisional]"):
                    break
                page.apply(raw)
    (answer,) = await db(assistant_texts)(chat.pk)
    assert page.text == " ".join(answer.split()), (
        "snapshot text + later deltas = the answer, nothing lost or doubled"
    )


def _finish_behind_the_sockets_back(chat_id: int) -> None:
    """The turn completed but its `done` event was lost (channel layers drop silently)."""
    from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, text_parts

    ChatMessage.objects.create(
        chat_id=chat_id, role=MessageRole.ASSISTANT, content=text_parts("Answer that arrived")
    )
    Chat.objects.filter(pk=chat_id).update(status=ChatStatus.IDLE, live_state={})


async def test_a_silent_active_turn_is_resynchronised_by_the_watchdog(
    fake, layer, monkeypatch
) -> None:
    import chatui.consumers

    monkeypatch.setattr(chatui.consumers, "WATCH_INTERVAL", 0.3)
    watchdog_before = _resyncs("watchdog")
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    group = chat_group(chat.pk)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await layer.group_send(group, chat_event(chat.pk, 1, "status", {"phase": "starting"}))
        await frames.next()
        await db(_finish_behind_the_sockets_back)(chat.pk)
        # No event comes; the watchdog notices the silence and takes a snapshot.
        async with asyncio.timeout(5):
            while "Answer that arrived" not in text_of(frame := await frames.next()):
                pass
    assert select(frame, '[data-role="assistant"]')
    assert await db(assistant_texts)(chat.pk) == ["Answer that arrived"]
    assert _resyncs("watchdog") >= watchdog_before + 1


async def test_the_watchdog_leaves_an_idle_page_alone(fake, layer, monkeypatch) -> None:
    import chatui.consumers

    monkeypatch.setattr(chatui.consumers, "WATCH_INTERVAL", 0.2)
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner)
    async with socket(chat.pk, await db(session_cookie)(owner)) as frames:
        await frames.next()
        await frames.communicator.receive_nothing(timeout=1.0)
