"""What survives in a real browser: a closed tab, a dropped socket, hostile provider text."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.test_chat_support import (
    ChatServer,
    TcpProxy,
    assistant_texts,
    login,
    open_chat,
    read_callout,
    rendered_text,
    send,
    start_chat_server,
    wait_for_answer,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    """One live server for this module's tests."""
    yield from start_chat_server()


HOSTILE = 'Unknown parameter <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> in request'


def test_closing_the_tab_mid_retry_and_reopening_shows_the_same_deadline(
    page, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "demo-flaky"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["demo-flaky"])
    send(page, "Hello")
    page.wait_for_selector('[data-callout][data-phase="retrying"]')
    before = read_callout(page)
    context = page.context
    page.close()

    again = context.new_page()
    again.goto(f"{chat_server.base_url}/chats/{ids['demo-flaky']}/")
    again.wait_for_selector('[data-callout][data-phase="retrying"]')
    after = read_callout(again)
    assert before is not None and after is not None
    assert after["deadline"] == before["deadline"], "the original retrying_at, not a new one"
    assert (after["attempt"], after["kind"]) == (before["attempt"], before["kind"])
    wait_for_answer(again)
    assert len(assistant_texts(again)) == 1


def test_a_dropped_socket_shows_reconnecting_and_recovers_without_loss(
    page, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    message = " ".join(f"word{n}" for n in range(150))  # echoed at 30 words/s: ~5 s of streaming
    proxy = TcpProxy(chat_server.server.port)
    try:
        login(page, proxy.url)
        open_chat(page, proxy.url, ids["echo"])
        send(page, message)
        page.wait_for_function(
            "() => (document.querySelector('[data-provisional] [data-message-content]') || {}).textContent?.length > 20"
        )
        proxy.refusing.set()
        proxy.drop_all()

        page.wait_for_selector('[data-callout][data-phase="reconnecting"]')
        first = read_callout(page)
        assert first is not None and first["attempt"] == "1"
        assert page.inner_text("[data-callout] [data-countdown]") == "Reconnecting in 1s"
        assert page.get_attribute("[data-chat]", "data-socket") == "reconnecting"
        assert page.get_attribute("[data-composer]", "data-composer-ready") == "false"
        page.wait_for_selector('[data-callout][data-phase="reconnecting"] [data-attempt="2"]')
        assert page.inner_text("[data-callout] [data-countdown]") == "Reconnecting in 2s", (
            "backoff doubles"
        )

        proxy.refusing.clear()
        page.wait_for_selector('[data-chat][data-socket="open"]', timeout=10_000)
        assert (read_callout(page) or {}).get("phase") != "reconnecting"
        wait_for_answer(page)
        assert assistant_texts(page) == [rendered_text(message)], (
            "nothing lost or doubled across the reconnect"
        )
        assert page.get_attribute("[data-composer]", "data-composer-ready") == "true"
    finally:
        proxy.close()


class _HostileProvider(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint whose error message carries markup."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(
            {"error": {"message": HOSTILE, "type": "invalid_request_error", "code": None}}
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_provider() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_markup_in_a_provider_detail_renders_as_text_and_runs_nothing(
    page, chat_server: ChatServer, hostile_provider: str
) -> None:
    chat_server.provider("hostile", hostile_provider, "any-model")
    ids = chat_server.chats(("demo", "hostile", "any-model"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["any-model"])
    send(page, "Hello")
    page.wait_for_selector('[data-callout][data-phase="failed"]')
    for _ in range(2):  # live, then from the database after a reload
        shown = read_callout(page)
        assert shown is not None and shown["detail"] == HOSTILE
        assert not page.query_selector("[data-callout] script, [data-callout] img")
        assert page.evaluate("window.pwned") is None
        page.reload()
        page.wait_for_selector('[data-callout][data-phase="failed"]')
    assert dialogs == []


def test_stop_while_the_answer_streams_keeps_the_partial_answer_marked_stopped(
    page, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    words = [f"word{n}" for n in range(150)]
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    send(page, " ".join(words))
    page.wait_for_function(
        "() => (document.querySelector('[data-provisional] [data-message-content]') || {}).textContent?.length > 30"
    )
    page.click("[data-turn-stop]")
    page.wait_for_function("() => !document.querySelector('[data-provisional]')")
    assert not page.query_selector("#chat-callout-slot [data-callout], [data-turn-stop]")
    (kept,) = assistant_texts(page)
    assert kept.split() and kept.split() == words[: len(kept.split())], "what streamed, once"
    assert len(kept.split()) < len(words), "cut short"
    assert page.inner_text("[data-message][data-stopped] [data-stopped-note]") == "Stopped"
    chat = page.request.get(f"{chat_server.base_url}/api/chats/{ids['echo']}/").json()
    assert chat["status"] == "idle"
    assert chat["messages"][-1]["stopped"] is True
    page.reload()
    page.wait_for_selector('[data-chat][data-socket="open"]')
    assert assistant_texts(page) == [kept], "the stopped answer survives a reload"
    assert page.query_selector("[data-message][data-stopped]")
