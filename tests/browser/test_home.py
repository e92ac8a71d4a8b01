"""The home page in a real Chromium: htmx loaded, and a websocket that answers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_home_page_has_htmx_and_a_working_websocket(page, live_server_proc) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server_proc.url + "/")
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.evaluate("() => htmx.version").startswith("2.")
    reply = page.evaluate(
        """(url) => new Promise((resolve, reject) => {
            const ws = new WebSocket(url);
            ws.onopen = () => ws.send("ping");
            ws.onmessage = (event) => { resolve(JSON.parse(event.data)); ws.close(); };
            ws.onerror = () => reject(new Error("websocket error"));
            setTimeout(() => reject(new Error("no answer")), 5000);
        })""",
        live_server_proc.ws_url + "/ws/echo/",
    )
    assert reply == {"echo": "ping"}
    assert errors == []
