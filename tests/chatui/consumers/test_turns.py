"""Turns seen through the chat socket: the fragments a page receives, in order."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole
from chatcore.retry import RetryPolicy
from chatui.gallery.dom import Node, select, text_of
from tests.chatui.consumers.conftest import (
    Frames,
    assistant_texts,
    db,
    delta_text,
    make_chat,
    make_user,
    running,
    session_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = {"HX-Request": "true", "HX-Trigger": "composer", "HX-Current-URL": "http://localhost/"}


def _callout(frame: Node) -> Node | None:
    found = select(frame, "#chat-callout-slot [data-callout]")
    return found[0] if found else None


async def _owner_chat(fake, model: str) -> tuple[Chat, bytes]:
    owner = await db(make_user)("owner")
    chat = await db(make_chat)(fake, owner, model)
    return chat, await db(session_cookie)(owner)


async def _until_done(frames: Frames) -> Node:
    """Frames until the transcript holds an answer and nothing provisional."""
    while True:
        frame = await frames.until("#transcript")
        if select(frame, '[data-role="assistant"]') and not select(frame, "[data-provisional]"):
            return frame


async def _until_streaming(frames: Frames) -> Node:
    """The frame that clears the starting callout: the answer is streaming."""
    while True:
        frame = await frames.until("#chat-callout-slot")
        if _callout(frame) is None:
            return frame


async def test_a_sent_message_streams_and_lands_exactly_once(fake, layer) -> None:
    chat, cookie = await _owner_chat(fake, "echo")
    async with running(layer), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send(
            {"content": "Echo <this> & that", "client_request_id": "r1", "HEADERS": HEADERS}
        )
        queued = await frames.next()
        (user,) = select(queued, '#transcript [data-role="user"]')
        assert text_of(select(user, "[data-message-content]")[0]) == "Echo <this> & that"
        assert _callout(queued).attrs["data-phase"] == "starting"
        streaming = await _until_streaming(frames)
        assert _callout(streaming) is None, "streaming shows no callout, only Stop"
        assert select(streaming, "[data-turn-stop]")
        final = await _until_done(frames)

    assert _callout(final) is None
    (answer,) = select(final, '#transcript [data-role="assistant"]')
    assert text_of(select(answer, "[data-message-content]")[0]) == "Echo <this> & that"
    assert delta_text(frames.received) == "Echo <this> & that", (
        "deltas add up to the answer, escaped"
    )
    assert all("<this>" not in raw for raw in frames.received)
    assert await db(assistant_texts)(chat.pk) == ["Echo <this> & that"]


async def test_a_retry_shows_its_countdown_and_drops_the_failed_attempts_text(fake, layer) -> None:
    chat, cookie = await _owner_chat(fake, "scripted")
    script = [
        {"kind": "truncate", "after": 5, "tokens": 12},
        {"kind": "rate_limit", "retry_after": 2},
        {"kind": "ok", "tokens": 12},
    ]
    async with running(layer, scenario=script), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi", "client_request_id": "r1"})
        first = await frames.until('[data-phase="retrying"]')
        assert not select(first, "[data-provisional] [data-stream-done] *")
        assert not select(first, "[data-provisional] [data-stream-tail] *")
        (slot,) = select(first, "#provisional-slot")
        assert text_of(slot).strip() in ("", "Assistant (answering)"), "the attempt's text is gone"
        second = await frames.until('[data-phase="retrying"][data-kind="rate_limit"]')
        callout = _callout(second)
        assert text_of(select(callout, "[data-callout-title]")[0]) == "Rate limited"
        assert text_of(select(callout, "[data-kind-pill]")[0]) == "Rate limit"
        assert select(callout, "[data-attempt]")[0].attrs["data-attempt"] == "2"
        assert select(callout, "[data-status-code]")[0].attrs["data-status-code"] == "429"
        retry_now = select(callout, "[data-retry-now]")[0]
        assert "disabled" in retry_now.attrs, "Retry now waits for the provider's floor"
        deadline = select(callout, "[data-countdown]")[0].attrs["data-deadline"]
        live = await db(Chat.objects.get)(pk=chat.pk)
        assert deadline == live.live_state["retry"]["retrying_at"]

        await frames.send({"action": "retry_now"})
        notice = await frames.until('[data-notice-code="too_early"]')
        assert "Retry now" in text_of(notice)

        await frames.until('[data-phase="starting"]')
        restarted = datetime.now().astimezone()
        final = await _until_done(frames)
    assert restarted >= datetime.fromisoformat(deadline.replace("Z", "+00:00"))
    (answer,) = select(final, '#transcript [data-role="assistant"]')
    texts = await db(assistant_texts)(chat.pk)
    assert texts == [text_of(select(answer, "[data-message-content]")[0])]


@pytest.mark.parametrize(
    ("model", "kind", "status"),
    [
        pytest.param("demo-auth", "auth", "401", id="auth"),
        pytest.param(
            "demo-quota", "usage_limit", "429", id="provider_quota_is_not_our_usage_limit"
        ),
    ],
)
async def test_a_terminal_error_shows_the_failed_callout_and_is_persisted(
    fake, layer, model: str, kind: str, status: str
) -> None:
    chat, cookie = await _owner_chat(fake, model)
    async with running(layer), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi"})
        frame = await frames.until('[data-phase="failed"]')
        async with socket(chat.pk, cookie) as reopened:
            snapshot = await reopened.next()
    callout = _callout(frame)
    assert callout.attrs["data-kind"] == kind
    assert select(callout, "[data-status-code]")[0].attrs["data-status-code"] == status
    assert not select(callout, "[data-try-again]"), "not retryable"
    assert not select(callout, "[data-usage-link]"), "View usage is only for our own limit"
    assert not select(frame, "[data-provisional]")
    stored = await db(Chat.objects.get)(pk=chat.pk)
    assert (
        stored.status == ChatStatus.FAILED
        and stored.error is not None
        and stored.error.kind == kind
    )
    assert text_of(select(callout, "[data-callout-message]")[0]) == stored.error.message
    assert text_of(select(callout, "[data-detail]")[0]) == stored.error.detail
    persisted = _callout(snapshot)
    assert (persisted.attrs["data-phase"], persisted.attrs["data-kind"]) == ("failed", kind)
    assert not select(persisted, "[data-usage-link]")


async def test_try_again_requeues_a_retryable_failure(fake, layer) -> None:
    chat, cookie = await _owner_chat(fake, "scripted")
    script = [{"kind": "server_error"}, {"kind": "ok", "tokens": 6}]
    policy = RetryPolicy(max_attempts=1)
    async with running(layer, scenario=script, policy=policy), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi"})
        failed = await frames.until('[data-phase="failed"]')
        assert select(failed, "[data-try-again]")
        await frames.send({"action": "try_again"})
        again = await frames.next()
        assert _callout(again).attrs["data-phase"] == "starting"
        await _until_done(frames)
    assert len(await db(assistant_texts)(chat.pk)) == 1


async def test_stop_keeps_what_the_attempt_wrote_as_a_stopped_answer(fake, layer) -> None:
    chat, cookie = await _owner_chat(fake, "scripted")
    script = [{"kind": "ok", "tokens": 400, "rate": 20}]
    async with running(layer, scenario=script), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi"})
        await _until_streaming(frames)
        await asyncio.sleep(0.5)  # some text streams first
        await frames.send({"action": "stop", "HEADERS": HEADERS})
        while True:
            frame = await frames.until("#transcript")
            if not select(frame, "[data-provisional]"):
                break
    assert _callout(frame) is None and not select(frame, "[data-turn-stop]")
    (kept,) = await db(assistant_texts)(chat.pk)
    shown = delta_text(frames.received)
    assert kept and kept.startswith(shown.split()[0]), "the streamed text is the kept answer"
    (answer,) = select(frame, '#transcript [data-role="assistant"]')
    assert "data-stopped" in answer.attrs
    assert text_of(select(answer, "[data-stopped-note]")[0]) == "Stopped"
    assert " ".join(text_of(select(answer, "[data-message-content]")[0]).split()) == " ".join(
        kept.split()
    )
    stored = await db(Chat.objects.get)(pk=chat.pk)
    assert stored.status == ChatStatus.IDLE
    message = await db(ChatMessage.objects.get)(chat=chat, role=MessageRole.ASSISTANT)
    assert message.stopped is True


async def test_stop_during_a_retry_wait_keeps_no_empty_answer(fake, layer) -> None:
    chat, cookie = await _owner_chat(fake, "scripted")
    script = [{"kind": "rate_limit", "retry_after": 30}, {"kind": "ok"}]
    async with running(layer, scenario=script), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi"})
        await frames.until('[data-phase="retrying"]')
        await frames.send({"action": "stop", "HEADERS": HEADERS})
        while True:
            frame = await frames.until("#transcript")
            if not select(frame, "[data-provisional]"):
                break
    assert _callout(frame) is None
    assert await db(assistant_texts)(chat.pk) == []
    assert (await db(Chat.objects.get)(pk=chat.pk)).status == ChatStatus.IDLE


async def test_retry_now_skips_our_own_backoff(fake, layer) -> None:
    chat, cookie = await _owner_chat(fake, "scripted")
    script = [{"kind": "server_error"}, {"kind": "ok", "tokens": 6}]
    policy = RetryPolicy(initial_delay=30, max_delay=60)
    async with running(layer, scenario=script, policy=policy), socket(chat.pk, cookie) as frames:
        await frames.next()
        await frames.send({"content": "hi"})
        retrying = await frames.until('[data-phase="retrying"]')
        assert "disabled" not in select(retrying, "[data-retry-now]")[0].attrs, "no provider floor"
        started = asyncio.get_running_loop().time()
        await frames.send({"action": "retry_now"})
        await _until_done(frames)
        waited = asyncio.get_running_loop().time() - started
    assert waited < 10, "the 30 s backoff was skipped"
    assert len(await db(assistant_texts)(chat.pk)) == 1
