"""What an operator learns from a turn: its metrics and its log lines.

A turn on the fake provider (the demo's, anonymous in what users read) that
is retried once and then answers, and one that fails for good: the provider is
named by its configured name in the metrics, the retry event and the logs;
each handled failure is one WARNING with chat, attempt, kind, status and
provider, and nothing about it is logged at ERROR.
"""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async

from chatcore.models import ChatRetryEvent
from chatcore.retry import TURN_OUTCOMES
from tests.chatcore.runner.conftest import Subscriber, make_chat, make_provider, queue_turn, running

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async
FLAKY = [{"kind": "overloaded", "message": "Overloaded", "headers": {"x-secret": "sk-leak-0000000000"}}, {"kind": "ok", "tokens": 4}]  # fmt: skip


def _failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("provider failure:")]


async def test_a_retried_turn_is_counted_timed_and_logged_once_per_failure(
    fresh_fake, layer, caplog: pytest.LogCaptureFixture
) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "scripted")
    caplog.set_level(logging.INFO)
    async with Subscriber(layer, chat.pk) as viewer, running(layer, scenario=FLAKY) as runner:
        await db(queue_turn)(chat)
        await viewer.until("done", "error")
        metrics = runner.metrics

    value = metrics.registry.get_sample_value
    labels = {"provider": provider.name, "model": "scripted"}
    assert value("chatd_turns_total", {**labels, "outcome": "done"}) == 1
    for other in set(TURN_OUTCOMES) - {"done"}:
        assert value("chatd_turns_total", {**labels, "outcome": other}) == 0  # exported at 0
    assert (
        value(
            "chatd_stream_retries_total", {**labels, "kind": "overloaded", "chain_broken": "false"}
        )
        == 1
    )
    assert (
        value(
            "chatd_stream_retries_total", {**labels, "kind": "rate_limit", "chain_broken": "false"}
        )
        == 0
    )
    assert value("chatd_retry_wait_seconds_count", {**labels, "kind": "overloaded"}) == 1
    assert value("chatd_retry_wait_seconds_sum", {**labels, "kind": "overloaded"}) >= 1.0
    assert value("chatd_turn_first_token_seconds_count", labels) == 1  # the attempt that streamed
    assert value("chatd_turn_duration_seconds_count", {**labels, "outcome": "done"}) == 1
    assert value("chatd_active_turns", {}) == 0
    (event,) = await db(list)(ChatRetryEvent.objects.filter(chat=chat))
    assert event.provider == provider.name  # not "" for the anonymous fake provider

    (record,) = _failures(caplog)
    assert record.levelno == logging.WARNING
    assert (record.chat, record.attempt, record.kind, record.status, record.provider) == (  # type: ignore[attr-defined]
        chat.pk, 1, "overloaded", 529, provider.name,
    )  # fmt: skip
    assert "Overloaded" not in record.getMessage()  # never the provider's text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "sk-leak" not in caplog.text


async def test_a_terminal_failure_is_one_warning_and_counted_as_failed(
    fresh_fake, layer, caplog: pytest.LogCaptureFixture
) -> None:
    provider = await db(make_provider)(fresh_fake)
    chat = await db(make_chat)(provider, "scripted")
    caplog.set_level(logging.INFO)
    scenario = [{"kind": "provider_disabled"}]
    async with Subscriber(layer, chat.pk) as viewer, running(layer, scenario=scenario) as runner:
        await db(queue_turn)(chat)
        await viewer.until("done", "error")
        metrics = runner.metrics

    labels = {"provider": provider.name, "model": "scripted"}
    assert (
        metrics.registry.get_sample_value("chatd_turns_total", {**labels, "outcome": "failed"}) == 1
    )
    assert (
        metrics.registry.get_sample_value(
            "chatd_stream_errors_total", {**labels, "kind": "provider_disabled"}
        )
        == 1
    )
    (record,) = _failures(caplog)
    assert (record.levelno, record.kind, record.status, record.retry_in) == (  # type: ignore[attr-defined]
        logging.WARNING, "provider_disabled", 503, None,
    )  # fmt: skip
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [
        r
        for r in caplog.records
        if r.name.startswith(("httpx", "httpcore")) and r.levelno < logging.WARNING
    ]
