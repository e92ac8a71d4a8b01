"""Model fallback in a real browser: the demo's ``demo-fallback`` is overloaded on every
attempt and falls back to ``demo-echo`` (``manage.py demo`` configures it). The callout
shows the switch, the answer appears once, and it says which model wrote it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_chat_support import (
    RECORD_CALLOUT,
    ChatServer,
    assistant_texts,
    login,
    open_chat,
    rendered_text,
    send,
    start_chat_server,
    trace,
    wait_for_answer,
)

pytestmark = pytest.mark.browser

READ_FALLBACK = """() => {
  const note = document.querySelector('#chat-callout-slot [data-callout] [data-fallback]');
  return note && {from: note.dataset.fromModel, to: note.dataset.toModel,
    reason: note.dataset.reason, text: note.textContent.trim(),
    title: note.closest('[data-callout]').querySelector('[data-callout-title]').textContent.trim()};
}"""


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    yield from start_chat_server()


def _api(page: Any, base_url: str, chat_id: int) -> dict[str, Any]:
    return page.request.get(f"{base_url}/api/chats/{chat_id}/").json()  # type: ignore[no-any-return]


def test_a_fallback_shows_the_switch_and_the_answer_exactly_once(
    page, chat_server: ChatServer
) -> None:
    chat_id = chat_server.chats(("demo", "demo", "demo-fallback"))["demo-fallback"]
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, chat_id)
    page.evaluate(RECORD_CALLOUT)
    send(page, "Which model answers?")

    page.wait_for_selector("#chat-callout-slot [data-callout] [data-fallback]", timeout=20_000)
    note = page.evaluate(READ_FALLBACK)
    assert note == {
        "from": "demo-fallback",
        "to": "demo-echo",
        "reason": "overloaded",
        "text": "Switched to demo-echo: the AI provider's demo-fallback is overloaded.",
        "title": "Switching model",
    }
    # The API's live state carries the same switch (it is stored just after it is shown).
    for _ in range(50):
        live = _api(page, chat_server.base_url, chat_id)["live"].get("retry") or {}
        if live.get("to_model"):
            break
        page.wait_for_timeout(100)
    assert (live["from_model"], live["to_model"], live["reason"]) == (
        "demo-fallback",
        "demo-echo",
        "overloaded",
    )
    wait_for_answer(page, timeout=45_000)

    states = trace(page)
    retrying = [s for s in states if (s["callout"] or {}).get("phase") == "retrying"]
    assert sorted({s["callout"]["attempt"] for s in retrying}) == ["1", "2"]
    assert all(s["provisional"] <= 0 for s in retrying), "a retry drops the attempt's text"
    chat = _api(page, chat_server.base_url, chat_id)
    answers = [m for m in chat["messages"] if m["role"] == "assistant"]
    assert [(m["model"], m.get("fallback_from")) for m in answers] == [
        ("demo-echo", "demo-fallback")
    ]
    assert assistant_texts(page) == [rendered_text(answers[0]["text"])], "the answer, once"
    assert answers[0]["text"].startswith("Which model answers?")
    written_by = page.locator('#transcript [data-role="assistant"] [data-fallback-answer]')
    assert written_by.count() == 1 and written_by.is_visible()
    assert written_by.inner_text() == "Answered by demo-echo (fallback from demo-fallback)"

    page.reload()
    page.wait_for_selector('[data-chat][data-socket="open"]')
    assert assistant_texts(page) == [rendered_text(answers[0]["text"])], "and after a reload"
    assert page.locator("[data-fallback-answer]").count() == 1


def test_with_fallbacks_off_the_chat_keeps_its_model(page, chat_server: ChatServer) -> None:
    chat_id = chat_server.chats(("demo", "demo", "demo-fallback"))["demo-fallback"]
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, chat_id)
    page.click("[data-settings-toggle]")
    page.uncheck("[data-allow-fallback]")
    page.wait_for_selector('#chat-notice[data-notice-code="fallback_off"]')
    assert _api(page, chat_server.base_url, chat_id)["allow_fallback"] is False
    page.click("[data-settings-close]")
    send(page, "Stay on your model")
    page.wait_for_selector(
        '#chat-callout-slot [data-callout][data-phase="retrying"] [data-attempt="3"]',
        timeout=30_000,
    )
    assert page.locator("[data-fallback]").count() == 0
    assert _api(page, chat_server.base_url, chat_id)["live"]["retry"].get("to_model") is None
    page.click("#chat-callout-slot [data-stop]")
    page.wait_for_selector("#chat-callout-slot [data-callout]", state="detached")
