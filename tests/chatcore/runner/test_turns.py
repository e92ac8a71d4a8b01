"""Turns end to end: fake provider over loopback → adapter → retry loop → runner → channel layer → DB."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from asgiref.sync import sync_to_async

from chatcore.fakeprovider import token_text
from chatcore.models import Chat, ChatMessage, ChatRetryEvent, ChatStatus, MessageRole
from tests.chatcore.runner.conftest import (
    Counter,
    Subscriber,
    make_chat,
    make_provider,
    queue_turn,
    running,
)
from tests.fakeserver import FakeProviderServer

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _assistant_texts(chat_id: int) -> list[str]:
    return [m.text for m in ChatMessage.objects.filter(chat_id=chat_id, role=MessageRole.ASSISTANT)]


async def _chat(fake: FakeProviderServer, model: str, kind: str = "fake") -> Chat:
    provider = await db(make_provider)(fake, kind=kind)
    return await db(make_chat)(provider, model)


async def test_flaky_turn_retries_after_the_retry_after_then_answers(fresh_fake, layer) -> None:
    chat = await _chat(fresh_fake, "demo-flaky")
    async with Subscriber(layer, chat.pk) as viewer, running(layer):
        started = time.monotonic()
        await db(queue_turn)(chat)
        events = await viewer.until("done", "error")
    elapsed = time.monotonic() - started

    assert [e["event"] for e in events][-1] == "done"
    (retry,) = viewer.named("retry")
    assert retry["attempt"] == 1
    assert retry["data"]["kind"] == "rate_limit"
    assert retry["data"]["delay_ms"] >= 3000
    # The fake provider imitates OpenAI's wire format but is never called OpenAI.
    assert not retry["data"].get("provider")
    assert retry["data"]["error"].startswith("The AI provider")
    retrying_at = _parse(retry["data"]["retrying_at"])
    assert _parse(retry["data"]["not_before"]) <= retrying_at
    assert elapsed >= 3.0
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq increases by one per event"
    after_retry = events[events.index(retry) + 1 :]
    streamed = "".join(e["data"]["text"] for e in after_retry if e["event"] == "delta")
    texts = await db(_assistant_texts)(chat.pk)
    assert texts == [streamed] and streamed
    (event,) = await db(list)(ChatRetryEvent.objects.filter(chat=chat))
    assert (event.attempt, event.kind, event.status_code, event.chain_broken) == (
        1,
        "rate_limit",
        429,
        False,
    )
    assert event.delay_ms == retry["data"]["delay_ms"]
    refreshed = await db(Chat.objects.get)(pk=chat.pk)
    assert refreshed.status == ChatStatus.IDLE and refreshed.last_error is None
    assert refreshed.event_seq == events[-1]["seq"]


async def test_truncated_then_ok_persists_the_full_text_exactly_once(fresh_fake, layer) -> None:
    chat = await _chat(fresh_fake, "scripted")
    script = [{"kind": "truncate", "after": 7, "tokens": 30}, {"kind": "ok", "tokens": 30}]
    async with Subscriber(layer, chat.pk) as viewer, running(layer, scenario=script):
        await db(queue_turn)(chat)
        events = await viewer.until("done", "error")

    assert events[-1]["event"] == "done"
    retries = viewer.named("retry")
    assert len(retries) == 1 and retries[0]["data"]["kind"] == "timeout"
    before = events[: events.index(retries[0])]
    # Whatever of the cut attempt was shown (coalescing may have held all of it) is a prefix.
    shown = "".join(e["data"]["text"] for e in before if e["event"] == "delta")
    assert token_text(7).startswith(shown)
    after = events[events.index(retries[0]) + 1 :]
    assert "".join(e["data"]["text"] for e in after if e["event"] == "delta") == token_text(30)
    assert await db(_assistant_texts)(chat.pk) == [token_text(30)]


async def test_auth_failure_is_persisted_with_status_and_provider_detail(fresh_fake, layer) -> None:
    chat = await _chat(fresh_fake, "demo-auth")
    async with Subscriber(layer, chat.pk) as viewer, running(layer):
        await db(queue_turn)(chat)
        events = await viewer.until("done", "error")

    error = events[-1]
    assert error["event"] == "error"
    assert viewer.named("retry") == []
    refreshed = await db(Chat.objects.get)(pk=chat.pk)
    assert refreshed.status == ChatStatus.FAILED
    stored = refreshed.last_error
    assert stored == error["data"]
    assert stored["kind"] == "auth" and stored["status_code"] == 401
    assert stored["retryable"] is False
    assert "Incorrect API key" in stored.get("detail", "") or "API key" in stored.get("detail", "")
    assert await db(_assistant_texts)(chat.pk) == []


async def test_queries_per_turn_do_not_grow_with_tokens(fresh_fake, layer) -> None:
    counts = []
    for tokens in (10, 2000):
        chat = (
            await _chat(fresh_fake, f"t{tokens}")
            if not counts
            else await db(make_chat)(
                await db(
                    lambda: __import__(
                        "chatcore.models", fromlist=["Provider"]
                    ).Provider.objects.get(name="fake")
                )(),
                f"t{tokens}",
            )
        )
        counter = Counter()
        script = [{"kind": "ok", "tokens": tokens}]
        async with (
            Subscriber(layer, chat.pk) as viewer,
            running(layer, scenario=script, counter=counter),
        ):
            await db(queue_turn)(chat)
            events = await viewer.until("done", "error")
        assert events[-1]["event"] == "done"
        assert await db(_assistant_texts)(chat.pk) == [token_text(tokens)]
        counts.append((counter.total, [name for name, _ in counter.calls]))
    assert counts[0] == counts[1], counts
