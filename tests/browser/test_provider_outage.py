"""A provider down for everyone, as three tabs see it: each chat on ``demo-outage`` shows a
shared wait with the same deadline and the provider status line, and all three answer
once the provider is back (the real in-process runner, its shared provider health and the
demo's fake provider; nothing written by the test but the messages)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_chat_support import (
    ChatServer,
    assistant_texts,
    login,
    open_chat,
    read_callout,
    send,
    start_chat_server,
    wait_for_answer,
)

pytestmark = pytest.mark.browser

_STATUS = """() => {
  const line = document.querySelector("#provider-status [data-provider-status]");
  return line && !line.hidden ? line.dataset.state : null;
}"""


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    yield from start_chat_server()


def _shared_waits(pages: list[Any]) -> list[tuple[str | None, str | None]]:
    """Each tab's (callout deadline if it is a shared wait, status line state)."""
    seen = []
    for page in pages:
        callout = read_callout(page)
        shared = page.query_selector('#chat-callout-slot [data-callout][data-shared="true"]')
        deadline = callout["deadline"] if callout and shared else None
        seen.append((deadline, page.evaluate(_STATUS)))
    return seen


def test_three_tabs_wait_on_one_deadline_and_all_answer_once(
    browser: Any, chat_server: ChatServer
) -> None:
    spec = [(f"outage{n}", "demo", "demo-outage") for n in range(3)]
    ids = [chat_server.chats(one)["demo-outage"] for one in spec]
    context = browser.new_context()
    try:
        pages = []
        for n, chat_id in enumerate(ids):
            page = context.new_page()
            login(page, chat_server.base_url, f"outage{n}", f"outage{n}")
            open_chat(page, chat_server.base_url, chat_id)
            pages.append(page)
        for n, page in enumerate(pages):
            send(page, f"question {n}")

        # Until every tab shows the same shared deadline and a degraded provider.
        deadline = time.monotonic() + 40
        seen = _shared_waits(pages)
        while time.monotonic() < deadline:
            seen = _shared_waits(pages)
            deadlines = {shown for shown, _ in seen}
            states = {state for _, state in seen}
            if len(deadlines) == 1 and None not in deadlines and None not in states:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the tabs never showed one shared deadline: {seen}")
        assert {state for _, state in seen} <= {"cooldown", "open", "half_open"}

        for page in pages:
            wait_for_answer(page, timeout=60_000)
        for page in pages:
            assert len(assistant_texts(page)) == 1, "each chat answered exactly once"
            page.wait_for_function(f"() => ({_STATUS})() === null", timeout=15_000)
    finally:
        context.close()
