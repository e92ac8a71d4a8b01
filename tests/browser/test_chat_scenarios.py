"""Every demo scenario in a real browser: the callout's hooks, timing, and the transcript after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from chatcore.fakeprovider import DEMO_ANSWER
from chatui.components import status_page_url
from chatui.management.commands.demo import DEMO_MODELS
from tests.browser.test_chat_support import (
    RECORD_CALLOUT,
    ChatServer,
    assistant_texts,
    login,
    open_chat,
    read_callout,
    rendered_text,
    send,
    start_chat_server,
    trace,
    wait_for_answer,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    """One live server for this module's tests."""
    yield from start_chat_server()


DEMO_TEXT = rendered_text(DEMO_ANSWER)


@pytest.fixture(scope="module")
def chats(chat_server: ChatServer) -> dict[str, int]:
    """One demo chat per scenario, all created in one go."""
    return chat_server.chats(*(("demo", "demo", model) for model in DEMO_MODELS))


def _api(page: Any, base_url: str, chat_id: int) -> dict[str, Any]:
    return page.request.get(f"{base_url}/api/chats/{chat_id}/").json()  # type: ignore[no-any-return]


def _ms(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


def test_echo_answers_with_the_message_as_text(page, chat_server: ChatServer) -> None:
    echo = chat_server.chats(("demo", "demo", "echo"))["echo"]
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, echo)
    send(page, "Echo <b>this</b> & <script>window.pwned = 1</script> that")
    wait_for_answer(page)
    assert assistant_texts(page) == [
        rendered_text("Echo <b>this</b> & <script>window.pwned = 1</script> that")
    ]
    assert page.evaluate("window.pwned") is None
    assert not page.query_selector("#transcript script, #transcript b")


RECOVERS = [
    pytest.param(
        "demo-overloaded",
        "overloaded",
        "Service overloaded",
        "Overloaded",
        "529",
        ["1", "2"],
        id="overloaded_retries_twice_then_answers",
    ),
    pytest.param(
        "demo-truncated",
        "timeout",
        "Request timed out",
        "Timeout",
        None,
        ["1"],
        id="truncated_stream_is_retried_and_its_text_dropped",
    ),
    pytest.param(
        "demo-slow-start",
        "startup_timeout",
        "Startup timed out",
        "Startup timeout",
        None,
        ["1"],
        id="slow_first_chunk_times_out_then_answers",
    ),
]


@pytest.mark.parametrize(("model", "kind", "title", "pill", "status", "attempts"), RECOVERS)
def test_a_transient_failure_is_shown_retried_on_time_and_answered_once(
    page,
    chat_server: ChatServer,
    chats,
    model,
    kind,
    title,
    pill,
    status,
    attempts,
) -> None:
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, chats[model])
    page.evaluate(RECORD_CALLOUT)
    send(page, "Hello")
    page.wait_for_selector('[data-callout][data-phase="retrying"]')
    live = _api(page, chat_server.base_url, chats[model])["live"]
    wait_for_answer(page, timeout=45_000)

    states = trace(page)
    retrying = [s for s in states if (s["callout"] or {}).get("phase") == "retrying"]
    seen = [s["callout"] for s in retrying]
    assert sorted({c["attempt"] for c in seen}) == attempts
    for callout in seen:
        assert (callout["kind"], callout["title"], callout["pill"], callout["status"]) == (
            kind,
            title,
            pill,
            status,
        )
        assert callout["statusLink"] == (status_page_url(live["retry"].get("provider")) or None)
    assert seen[0]["message"] == live["retry"]["error"]
    for deadline in dict.fromkeys(c["deadline"] for c in seen):
        shown = next(
            i for i, s in enumerate(states) if (s["callout"] or {}).get("deadline") == deadline
        )
        ended = next(s for s in states[shown:] if (s["callout"] or {}).get("deadline") != deadline)
        assert ended["t"] >= _ms(deadline) - 5, "never retried before data-deadline"
    assert all(s["provisional"] <= 0 for s in retrying), "a retry drops the attempt's text"
    if model == "demo-truncated":
        before = [s for s in states if s["t"] < retrying[0]["t"]]
        assert max(s["provisional"] for s in before) > 0, "the cut attempt had streamed text"
    if model == "demo-slow-start":
        first = next(s["callout"] for s in states if s["callout"])
        assert (first["phase"], first["title"]) == ("starting", "Thinking…")
    assert assistant_texts(page) == [DEMO_TEXT], "the answer, exactly once"


TERMINAL = [
    pytest.param("demo-auth", "auth", "Authentication", "401", id="auth_fails_at_once"),
    pytest.param(
        "demo-quota",
        "usage_limit",
        "Usage limit",
        "429",
        id="provider_quota_fails_without_view_usage",
    ),
    pytest.param(
        "demo-disabled",
        "provider_disabled",
        "Provider disabled",
        "503",
        id="disabled_provider_fails",
    ),
    pytest.param(
        "demo-context", "context_length", "Context length", "400", id="too_long_a_context_fails"
    ),
]


@pytest.mark.parametrize(("model", "kind", "pill", "status"), TERMINAL)
def test_a_terminal_error_is_shown_with_its_detail_and_survives_a_reload(
    page,
    chat_server: ChatServer,
    chats,
    model,
    kind,
    pill,
    status,
) -> None:
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, chats[model])
    send(page, "Hello")
    page.wait_for_selector('[data-callout][data-phase="failed"]')
    shown = read_callout(page)
    error = _api(page, chat_server.base_url, chats[model])["last_error"]
    assert shown is not None
    assert (shown["kind"], shown["title"], shown["pill"], shown["status"]) == (
        kind,
        "Request failed",
        pill,
        status,
    )
    assert shown["message"] == error["message"]
    assert error["detail"] and shown["detail"] == error["detail"], "the provider's own words, muted"
    assert not shown["usageLink"], "View usage is only for our own limit"
    assert not shown["tryAgain"] and shown["attempt"] is None
    assert not page.query_selector("[data-provisional]")

    page.reload()
    page.wait_for_selector('[data-chat][data-socket="open"]')
    assert read_callout(page) == shown, "persisted: a reload shows the same error"
    assert assistant_texts(page) == []


def test_a_provider_that_stays_down_keeps_retrying_until_stopped(
    page, chat_server: ChatServer, chats
) -> None:
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, chats["demo-down"])
    send(page, "Hello")
    page.wait_for_selector('[data-callout][data-phase="retrying"]')
    shown = read_callout(page)
    assert shown is not None
    assert (shown["kind"], shown["title"], shown["pill"], shown["status"]) == (
        "timeout",
        "Request timed out",
        "Timeout",
        None,
    )
    page.click("[data-callout] [data-stop]")
    page.wait_for_function("() => !document.querySelector('#chat-callout-slot [data-callout]')")
    assert _api(page, chat_server.base_url, chats["demo-down"])["status"] == "idle"
    assert assistant_texts(page) == []
    assert page.get_attribute("[data-composer]", "data-composer-ready") == "true"
