"""Answers people can read and a composer that never loses a word, in a real Chromium:
markdown and highlighted code (streamed and persisted), Copy, hostile answers that run
nothing, refusals that keep the text, Esc, drafts, regenerate and edit with versions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chatcore.chats import MAX_MESSAGE_CHARS
from chatcore.fakeprovider import ECHO_SHOWCASE
from tests.browser.test_chat_support import (
    ChatServer,
    TcpProxy,
    assistant_texts,
    login,
    open_chat,
    rendered_text,
    send,
    start_chat_server,
    wait_for_answer,
)

pytestmark = pytest.mark.browser

BOX = "[data-composer] textarea[name=content]"
NOTICE = "#chat-notice[data-composer-error]"
LONG = " ".join(f"word{n}" for n in range(300))  # echoed at 30 words/s: ~10 s of streaming


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    yield from start_chat_server()


@pytest.fixture
def watched(page: Any) -> dict[str, list[str]]:
    """Dialogs, page errors and console errors: a hostile answer must cause none."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": []}
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("console", lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None)
    return seen


def _answer_html(page: Any) -> str:
    return str(
        page.inner_html(
            '#transcript [data-role="assistant"]:not([data-provisional]) [data-message-body]'
        )
    )


def test_markdown_and_highlighted_code_stream_and_persist_the_same(
    page: Any, chat_server: ChatServer, watched: dict[str, list[str]]
) -> None:
    ids = chat_server.chats(("demo", "demo", "demo-echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["demo-echo"])
    send(page, "Show me a **Python** function")
    # While streaming: rendered blocks (the rule, then the code) before the answer is stored.
    page.wait_for_selector("[data-provisional] [data-message-body] hr", timeout=20_000)
    page.wait_for_selector("[data-provisional] [data-code-block] pre code", timeout=20_000)
    wait_for_answer(page)
    body = '#transcript [data-role="assistant"] [data-message-body]'
    assert page.inner_text(f"{body} strong") == "Python"
    assert page.query_selector(f"{body} [data-code-block] pre code span"), "highlighted tokens"
    assert page.inner_text(f"{body} [data-code-block] [data-copy]") == "Copy"
    before = _answer_html(page)
    assert assistant_texts(page) == [rendered_text("Show me a **Python** function" + ECHO_SHOWCASE)]
    page.reload()
    page.wait_for_selector('[data-chat][data-socket="open"]')
    assert _answer_html(page) == before, "identical after a reload"
    assert watched == {"dialogs": [], "errors": []}


def test_copy_puts_the_code_on_the_clipboard(page: Any, chat_server: ChatServer) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    code = 'def greet(name):\n    return f"Hello, {name} <3"'
    send(page, f"```python\n{code}\n```")
    wait_for_answer(page)
    page.click('#transcript [data-role="assistant"] [data-copy]')
    page.wait_for_function("() => document.querySelector('[data-copy]').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()").rstrip("\n") == code
    page.click('#transcript [data-role="assistant"] [data-copy-message]')
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "def greet(name):" in copied


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param("<script>window.pwned = 1; alert(1)</script>", id="script"),
        pytest.param('<img src=x onerror="window.pwned = 1; alert(1)">', id="img_onerror"),
        pytest.param("[click](javascript:window.pwned=1)", id="javascript_link"),
        pytest.param("![x](javascript:alert(1))", id="image_javascript"),
    ],
)
def test_a_hostile_answer_runs_nothing(
    page: Any, chat_server: ChatServer, watched: dict[str, list[str]], hostile: str
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    send(page, f"Look: {hostile}")
    wait_for_answer(page)
    for link in page.query_selector_all("#transcript a"):
        assert not (link.get_attribute("href") or "").startswith("javascript")
    assert page.evaluate("window.pwned") is None
    assert not page.query_selector("#transcript script, #transcript img")
    assert watched == {"dialogs": [], "errors": []}


def test_a_send_while_a_reply_runs_keeps_the_text_and_the_reason_clears_after_stop(
    page: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    send(page, LONG)
    page.wait_for_selector("[data-turn-stop]")
    assert not page.is_visible("[data-composer-send]"), "Send gives way to Stop"
    send(page, "my next question")
    page.wait_for_selector(f'{NOTICE}[data-composer-error="busy"]')
    assert page.input_value(BOX) == "my next question", "a refused send keeps the text"
    page.click("[data-turn-stop]")
    page.wait_for_function("() => !document.querySelector('[data-provisional]')")
    page.wait_for_selector(NOTICE, state="detached")
    assert page.input_value(BOX) == "my next question"
    assert page.is_visible("[data-composer-send]")


def test_a_message_over_the_limit_keeps_the_text_with_the_reason(
    page: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    text = "x" * (MAX_MESSAGE_CHARS + 1)
    send(page, text)
    page.wait_for_selector(f'{NOTICE}[data-composer-error="too_long"]')
    assert page.input_value(BOX) == text
    page.type(BOX, "y")
    page.wait_for_selector(NOTICE, state="detached", timeout=5_000)  # editing clears the reason


def test_a_send_while_the_socket_is_down_keeps_the_text(page: Any, chat_server: ChatServer) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    proxy = TcpProxy(chat_server.server.port)
    try:
        login(page, proxy.url)
        open_chat(page, proxy.url, ids["echo"])
        proxy.refusing.set()
        proxy.drop_all()
        page.wait_for_selector('[data-chat][data-socket="reconnecting"]')
        send(page, "typed while offline")
        page.wait_for_selector(f'{NOTICE}[data-composer-error="offline"]')
        assert page.input_value(BOX) == "typed while offline"
        proxy.refusing.clear()
        page.wait_for_selector('[data-chat][data-socket="open"]', timeout=15_000)
        page.press(BOX, "Enter")
        wait_for_answer(page)
        assert page.input_value(BOX) == "", "sent once the socket is back, then let go"
        assert assistant_texts(page) == [rendered_text("typed while offline")]
    finally:
        proxy.close()


def test_a_draft_survives_a_reload_and_is_cleared_once_sent(
    page: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    page.fill(BOX, "half a thought")
    page.reload()
    page.wait_for_selector('[data-composer][data-composer-ready="true"]')
    assert page.input_value(BOX) == "half a thought"
    page.press(BOX, "Enter")
    wait_for_answer(page)
    page.reload()
    page.wait_for_selector('[data-composer][data-composer-ready="true"]')
    assert page.input_value(BOX) == ""


def test_escape_stops_the_answer_and_keeps_what_was_written(
    page: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    send(page, LONG)
    page.wait_for_function(
        "() => (document.querySelector('[data-provisional] [data-message-content]') || {}).textContent?.length > 30"
    )
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('[data-provisional]')")
    (kept,) = assistant_texts(page)
    assert 0 < len(kept.split()) < 300
    assert page.query_selector("[data-message][data-stopped]")


def test_regenerate_and_edit_each_run_one_turn_and_keep_versions(
    page: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    send(page, "first question")
    wait_for_answer(page)
    page.click("[data-regenerate]")
    # Attached, not visible: a two-word echo may stream and end between two polls.
    page.wait_for_selector("[data-provisional]", state="attached")
    wait_for_answer(page)
    assert page.inner_text('[data-role="assistant"] [data-versions]') == "2 / 2"
    assert len(assistant_texts(page)) == 1, "one answer shown, the other kept as a version"
    page.click('[data-role="assistant"] [data-version-prev]')
    page.wait_for_function(
        """() => document.querySelector('[data-role="assistant"] [data-versions]').textContent === '1 / 2'"""
    )
    page.click('[data-role="user"] [data-edit]')
    page.fill("[data-edit-form] textarea", "second question")
    page.press("[data-edit-form] textarea", "Enter")
    page.wait_for_selector("[data-provisional]", state="attached")
    wait_for_answer(page)
    assert page.inner_text('[data-role="user"] [data-versions]') == "2 / 2"
    assert assistant_texts(page) == [rendered_text("second question")]
    chat = page.request.get(f"{chat_server.base_url}/api/chats/{ids['echo']}/").json()
    assert [m["text"] for m in chat["messages"]] == ["second question", "second question"]
    page.reload()
    page.wait_for_selector('[data-chat][data-socket="open"]')
    assert page.inner_text('[data-role="user"] [data-versions]') == "2 / 2"
