"""The newcomer's path in a real browser: log in as demo, pick demo-flaky, watch it recover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.browser.test_chat_support import (
    RECORD_CALLOUT,
    ChatServer,
    assistant_texts,
    login,
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


DEMO_ANSWER_START = "Hello! This answer comes from the built-in fake provider"


def _ms(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


def test_demo_flaky_counts_down_from_3_retries_on_time_and_answers_once(
    page, chat_server: ChatServer
) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(chat_server.base_url + "/accounts/login/")
    assert "log in as demo" in page.inner_text("[data-demo-hint]")
    login(page, chat_server.base_url)

    page.click("[data-new-chat]")
    assert (
        page.eval_on_selector("[data-provider-picker]", "s => s.selectedOptions[0].text") == "demo"
    )
    page.select_option("#model-field select", "demo-flaky")
    page.click("[data-create-chat]")
    page.wait_for_selector('[data-chat][data-socket="open"]')
    page.wait_for_selector('[data-composer][data-composer-ready="true"]')
    page.evaluate(RECORD_CALLOUT)
    send(page, "Tell me something nice")

    callout = page.wait_for_selector('[data-callout][data-phase="retrying"]')
    assert callout.get_attribute("data-kind") == "rate_limit"
    assert page.inner_text("[data-callout] [data-callout-title]") == "Rate limited"
    assert page.inner_text("[data-callout] [data-kind-pill]") == "Rate limit"
    chat_id = page.get_attribute("[data-chat]", "data-chat")
    live = page.request.get(f"{chat_server.base_url}/api/chats/{chat_id}/").json()["live"]
    assert page.inner_text("[data-callout] [data-callout-message]") == live["retry"]["error"]
    assert "rate limiting" in live["retry"]["error"]
    assert page.get_attribute("[data-callout] [data-attempt]", "data-attempt") == "1"
    assert page.get_attribute("[data-callout] [data-status-code]", "data-status-code") == "429"
    assert page.inner_text("[data-callout] [data-countdown]") == "Retrying in 3s"
    assert page.is_disabled("[data-callout] [data-retry-now]"), "the provider asked for 3 s"
    deadline_iso = page.get_attribute("[data-callout] [data-countdown]", "data-deadline")
    assert deadline_iso == live["retry"]["retrying_at"]
    deadline = _ms(deadline_iso)

    wait_for_answer(page)
    states = [(s["t"], s["callout"] or {}) for s in trace(page)]
    retrying = [(t, c) for t, c in states if c.get("phase") == "retrying"]
    shown: list[tuple[str | None, int]] = []
    for t, c in retrying:
        if not shown or shown[-1][0] != c["seconds"]:
            shown.append((c["seconds"], t))
    assert [s for s, _ in shown] == ["3", "2", "1", None], "one step per second, hidden at 0"
    for seconds, at in shown[1:]:
        flip = deadline - 1000 * (int(seconds) if seconds else 0)
        assert abs(at - flip) <= 150, f"'{seconds}' shown {at - flip:+.0f} ms from its second"
    after = next(t for t, c in states if t > retrying[-1][0] and c.get("phase") != "retrying")
    assert after >= deadline - 5, "the retry came no earlier than data-deadline"

    answers = assistant_texts(page)
    assert len(answers) == 1 and answers[0].startswith(DEMO_ANSWER_START)
    page.reload()
    page.wait_for_selector('[data-chat][data-socket="open"]')
    assert assistant_texts(page) == answers, "persisted once; the reload shows the same"
    assert not page.query_selector("#chat-callout-slot [data-callout]")
    assert errors == []


def test_another_users_chat_is_a_404_and_its_socket_is_refused(
    page, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("bob", "demo", "echo"))
    login(page, chat_server.base_url)
    response = page.goto(f"{chat_server.base_url}/chats/{ids['echo']}/")
    assert response.status == 404
    code = page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onclose = (event) => resolve(event.code);
        })""",
        f"{chat_server.server.ws_url}/ws/chats/{ids['echo']}/",
    )
    assert code == 4403
    page.goto(chat_server.base_url + "/chats/")
    assert not page.query_selector(f'[data-chat-row="{ids["echo"]}"]')
