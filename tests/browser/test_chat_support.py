"""Shared pieces of the chat browser tests (this module holds no tests itself).

``start_chat_server`` runs a live server (Daphne subprocess, its own
database, the in-process runner, the fake provider mounted at ``/fake/``)
prepared by ``manage.py demo --no-serve``: each test module wraps it in its
own module-scoped ``chat_server`` fixture, so a module shares one server. ``TcpProxy`` sits between the browser and that server so a
test can cut the websocket like a network failure would (close code 1006).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.conftest import LiveServer, free_port

# Demo mode: the login hint and cookies without the Secure flag on plain http.
SERVER_ENV = {"CHAT_DEMO": "1", "CHAT_STARTUP_TIMEOUT": "3", "CHAT_POLL_INTERVAL": "0.5"}

_MAKE_CHATS = """
import json
from django.contrib.auth.models import User
from chatcore.chats import create_chat
from chatcore.models import Provider
spec = json.loads({spec!r})
ids = {{}}
for username, provider_name, model in spec:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(username)
        user.save()
    provider = Provider.objects.get(name=provider_name)
    chat = create_chat(owner=user, provider=provider, model=model, title=model)
    ids.setdefault(model, chat.pk)
print(json.dumps(ids))
"""

_MAKE_PROVIDER = """
from chatcore.models import Provider
Provider.objects.update_or_create(name={name!r}, defaults={{
    "kind": {kind!r}, "base_url": {base_url!r}, "models": {models!r},
    "default_model": {model!r}}})
"""

# The callout as the page shows it, read through its data-* hooks (null: none).
_READ_CALLOUT = """() => {
  const c = document.querySelector("#chat-callout-slot [data-callout]");
  if (!c) return null;
  const q = (s) => c.querySelector(s);
  const t = (s) => (q(s) ? q(s).textContent.trim() : null);
  const cd = q("[data-countdown]");
  return {
    phase: c.dataset.phase, kind: c.dataset.kind, title: t("[data-callout-title]"),
    pill: t("[data-kind-pill]"), message: t("[data-callout-message]"), detail: t("[data-detail]"),
    status: q("[data-status-code]") ? q("[data-status-code]").dataset.statusCode : null,
    attempt: q("[data-attempt]") ? q("[data-attempt]").dataset.attempt : null,
    deadline: cd ? cd.dataset.deadline : null,
    seconds: cd && !cd.hidden ? t("[data-countdown-seconds]") : null,
    statusLink: q("[data-status-link]") ? q("[data-status-link]").getAttribute("href") : null,
    usageLink: !!q("[data-usage-link]"), tryAgain: !!q("[data-try-again]"),
  };
}"""

# Records every change of the callout and of the provisional text with the
# browser's clock as it happens: a MutationObserver fires right after each DOM
# change, so the timestamps are those of the flips.
RECORD_CALLOUT = (
    """() => {
  const read = """
    + _READ_CALLOUT
    + """;
  window.__trace = [];
  let last = "";
  const snap = () => {
    const p = document.querySelector("[data-provisional] [data-message-content]");
    const state = {callout: read(), provisional: p ? p.textContent.length : -1};
    const key = JSON.stringify(state);
    if (key !== last) { last = key; window.__trace.push(Object.assign({t: Date.now()}, state)); }
  };
  new MutationObserver(snap).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
  snap();
}"""
)


def read_callout(page: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate(_READ_CALLOUT)
    return result


def trace(page: Any) -> list[dict[str, Any]]:
    """The recorded states (see ``RECORD_CALLOUT``), oldest first."""
    return list(page.evaluate("window.__trace"))


@dataclass
class ChatServer:
    """The live server plus the demo data it was prepared with."""

    server: LiveServer
    base_url: str

    def chats(self, *spec: tuple[str, str, str]) -> dict[str, int]:
        """Create chats ``(username, provider, model)``; users get their name as password."""
        code = _MAKE_CHATS.format(spec=json.dumps(spec))
        out = self.server.manage("shell", "-c", code)
        return {model: int(pk) for model, pk in json.loads(out.strip().splitlines()[-1]).items()}

    def provider(
        self, name: str, base_url: str, model: str, *more: str, kind: str = "openai-compatible"
    ) -> None:
        """Add a provider at ``base_url`` serving ``model`` (its default) and any ``more``
        models; ``kind="fake"`` for a fake provider (its runs get per-turn scenarios)."""
        code = _MAKE_PROVIDER.format(
            name=name, base_url=base_url, model=model, models=[model, *more], kind=kind
        )
        self.server.manage("shell", "-c", code)


def start_chat_server() -> Iterator[ChatServer]:
    """Start, prepare and finally stop a live server (a module fixture's body)."""
    workdir = Path(tempfile.mkdtemp(prefix="calmchat-chat-"))
    server = LiveServer(workdir, extra_env=SERVER_ENV)
    try:
        server.start()
        server.manage("demo", "--port", str(server.port), "--no-serve")
        yield ChatServer(server, server.url)
    except Exception:
        print(server.log())
        raise
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def login(page: Any, base_url: str, username: str = "demo", password: str = "demo") -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-login]")
    page.wait_for_url("**/chats/")


def open_chat(page: Any, base_url: str, chat_id: int) -> None:
    """Open a chat page and wait until its socket is open and the composer usable."""
    page.goto(f"{base_url}/chats/{chat_id}/")
    page.wait_for_selector('[data-chat][data-socket="open"]')
    page.wait_for_selector('[data-composer][data-composer-ready="true"]')


def send(page: Any, text: str) -> None:
    page.fill("[data-composer] textarea[name=content]", text)
    page.press("[data-composer] textarea[name=content]", "Enter")


class _TextContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def rendered_text(markdown: str) -> str:
    """The ``textContent`` a persisted answer's body has in the page: its markdown rendered."""
    from chatui.markdown import render_markdown

    parser = _TextContent()
    parser.feed(str(render_markdown(markdown)))
    return "".join(parser.parts)


def assistant_texts(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            '#transcript [data-message][data-role="assistant"]:not([data-provisional]) [data-message-content]',
            "nodes => nodes.map(n => n.textContent)",
        )
    )


def wait_for_answer(page: Any, timeout: float = 30_000) -> None:
    """Until the turn is over: an answer persisted, nothing provisional, no callout."""
    page.wait_for_function(
        """() => document.querySelectorAll('#transcript [data-role="assistant"]:not([data-provisional])').length > 0
            && !document.querySelector('[data-provisional]')
            && !document.querySelector('#chat-callout-slot [data-callout]')""",
        timeout=timeout,
    )


class TcpProxy:
    """A loopback TCP forwarder whose connections a test can cut or refuse."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.refusing = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def drop_all(self) -> None:
        """Cut every open connection abruptly, like a network failure."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def close(self) -> None:
        self._listener.close()
        self.drop_all()
