"""The app as a daily chat user meets it, in a real Chromium at desktop size and on a 390 px
phone: the live sidebar (another tab's retry counts down in it), rename, delete and
search, a 200-message chat opening at its end, following a streaming answer and "Jump
to latest", switching model mid-chat, the system prompt, the drawer, "Reconnect now",
no sideways scrolling, and axe-core clean in both themes. Screenshots of each page and
state are saved under the test output directory (TEST_OUTPUT, else test-output/) in
screenshots/app/, as CI artifacts."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_chat_support import (
    ChatServer,
    TcpProxy,
    login,
    open_chat,
    send,
    start_chat_server,
    wait_for_answer,
)
from tests.conftest import REQUIRE_SERVICES, ROOT
from tests.fakeserver import FakeProviderServer

pytestmark = pytest.mark.browser

OUTPUT = Path(os.environ.get("TEST_OUTPUT") or ROOT / "test-output")
SCREENSHOTS = OUTPUT / "screenshots" / "app"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}
LONG = " ".join(f"word{n}" for n in range(240))  # echoed at 30 words/s: ~8 s of streaming

_AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter((v) => ["serious", "critical"].includes(v.impact))
  .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(" | ")}`)"""
_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
_AT_END = """() => { const s = document.querySelector('[data-chat-scroll]');
  return s.scrollHeight - s.scrollTop - s.clientHeight <= 2; }"""

_MAKE_MESSAGES = """
from chatcore.models import Chat, ChatMessage, text_parts
chat = Chat.objects.get(pk={chat})
ChatMessage.objects.bulk_create(
    ChatMessage(chat=chat, role="user" if n % 2 == 0 else "assistant",
                content=text_parts(("Question" if n % 2 == 0 else "Answer") + f" number {{n}}: " + "words " * 30))
    for n in range({count})
)
"""


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    yield from start_chat_server()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def context(browser: Any, viewport: str) -> Iterator[Any]:
    ctx = browser.new_context(viewport=VIEWPORTS[viewport])
    try:
        yield ctx
    finally:
        ctx.close()


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret writes `caret-color` into elements' style
    # attributes, which htmx's settle then copies onto a swapped element as an inline
    # style: a CSP violation of the test's own making (seen once, mid-stream).
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), caret="initial")


def _mobile(page: Any) -> bool:
    return bool(page.evaluate("() => matchMedia('(max-width: 47.99rem)').matches"))


def _show_sidebar(page: Any) -> None:
    """On a phone the sidebar is a drawer: open it (on a desktop it is always there)."""
    if _mobile(page) and not page.get_attribute("[data-app]", "data-drawer-open"):
        page.click("[data-sidebar-toggle]")
        page.wait_for_selector("[data-app][data-drawer-open]")


def _entry(chat_id: int | str) -> str:
    return f'[data-sidebar-chat="{chat_id}"]'


def _start_chat(page: Any, base_url: str, model: str, message: str) -> int:
    page.goto(base_url + "/chats/new/")
    page.select_option("#model-field select", model)
    page.fill("[data-start-message]", message)
    page.click("[data-create-chat]")
    page.wait_for_selector('[data-chat][data-socket="open"]')
    return int(page.get_attribute("[data-chat]", "data-chat"))


@pytest.fixture(scope="module")
def recording_provider() -> Iterator[FakeProviderServer]:
    """A standalone fake provider that records what it was sent (the app's own /fake/ mount
    keeps no log anyone can read)."""
    with FakeProviderServer() as server:
        yield server


def test_another_tabs_turn_counts_down_in_the_sidebar_then_goes_idle(
    context: Any, chat_server: ChatServer, viewport: str
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    watching = context.new_page()
    errors = _watch(watching)
    login(watching, chat_server.base_url)
    open_chat(watching, chat_server.base_url, ids["echo"])
    assert (
        watching.get_attribute(f"{_entry(ids['echo'])} [data-sidebar-link]", "aria-current")
        == "page"
    )
    other = context.new_page()
    flaky = _start_chat(other, chat_server.base_url, "demo-flaky", "Tell me something nice")

    entry = _entry(flaky)
    watching.wait_for_selector(
        f'{entry}[data-status="retrying"] [data-countdown]', state="attached", timeout=15_000
    )
    deadline = watching.get_attribute(f"{entry} [data-countdown]", "data-deadline")
    other.wait_for_selector("[data-callout] [data-countdown]")
    assert deadline == other.get_attribute("[data-callout] [data-countdown]", "data-deadline")
    # text_content: on a phone the drawer is closed, so nothing of it is rendered text.
    assert watching.text_content(f"{entry} [data-sidebar-kind]") == "Rate limit"
    assert watching.text_content(f"{entry} [data-sidebar-title]") == "Tell me something nice"
    _show_sidebar(watching)
    _shot(watching, f"{viewport}-light-sidebar-retrying")
    watching.wait_for_selector(f'{entry}[data-status="idle"]', state="attached", timeout=20_000)
    groups = watching.eval_on_selector_all(
        '[data-sidebar-group="today"] [data-sidebar-chat]',
        "rows => rows.map(r => r.dataset.sidebarChat)",
    )
    assert groups[0] == str(flaky), "newest activity first"
    assert errors == []


def test_rename_search_and_delete(context: Any, chat_server: ChatServer, viewport: str) -> None:
    page = context.new_page()
    errors = _watch(page)
    login(page, chat_server.base_url)
    keep = _start_chat(page, chat_server.base_url, "demo-echo", f"Packing list {viewport}")
    wait_for_answer(page)
    gone = _start_chat(page, chat_server.base_url, "demo-echo", f"Zeppelin facts {viewport}")
    wait_for_answer(page)

    _show_sidebar(page)
    page.click(f"{_entry(keep)} [data-sidebar-menu]")
    page.click(f"{_entry(keep)} [data-chat-rename]")
    page.fill("[data-chat-rename-input]", f"Trip to Lisbon {viewport}")
    page.press("[data-chat-rename-input]", "Enter")
    page.wait_for_function(
        "([sel, title]) => document.querySelector(sel + ' [data-sidebar-title]').textContent === title",
        arg=[_entry(keep), f"Trip to Lisbon {viewport}"],
    )
    assert page.evaluate("() => document.activeElement.matches('[data-sidebar-link]')")

    page.fill("[data-chat-search]", f"zeppelin {viewport}")
    page.wait_for_selector('[data-sidebar-view="search"]')
    page.wait_for_function(
        "(sel) => document.querySelectorAll('[data-sidebar-chat]').length === 1 && document.querySelector(sel)",
        arg=_entry(gone),
    )
    assert page.inner_text(f"{_entry(gone)} [data-search-snippet] mark").lower() == "zeppelin"
    _shot(page, f"{viewport}-light-search")
    page.fill("[data-chat-search]", "")
    page.wait_for_selector('[data-sidebar-view="recent"]')

    # Deleting the open chat asks first, then lands on a new chat.
    page.click(f"{_entry(gone)} [data-sidebar-menu]")
    page.click(f"{_entry(gone)} [data-chat-delete]")
    page.wait_for_selector("[data-delete-dialog][open]")
    assert f"Zeppelin facts {viewport}" in page.inner_text("[data-delete-dialog]")
    _shot(page, f"{viewport}-light-delete-dialog")
    page.click("[data-delete-cancel]")
    assert page.query_selector(_entry(gone)), "cancel keeps it"
    page.click(f"{_entry(gone)} [data-sidebar-menu]")
    page.click(f"{_entry(gone)} [data-chat-delete]")
    page.click("[data-delete-confirm]")
    page.wait_for_url("**/chats/new/")
    assert not page.query_selector(_entry(gone))
    assert page.query_selector(_entry(keep))
    assert page.request.get(f"{chat_server.base_url}/api/chats/{gone}/").status == 404
    assert errors == []


def test_a_200_message_chat_opens_at_its_end_with_the_composer_pinned(
    context: Any, chat_server: ChatServer, viewport: str
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    chat_server.server.manage("shell", "-c", _MAKE_MESSAGES.format(chat=ids["echo"], count=200))
    page = context.new_page()
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    assert (
        page.evaluate("() => document.querySelectorAll('#transcript [data-message]').length") == 200
    )
    page.wait_for_function(_AT_END)
    last = page.locator("#transcript [data-message]").last
    assert last.is_visible() and "Answer number 199" in last.inner_text()
    box = page.locator("[data-composer]").bounding_box()
    height = VIEWPORTS[viewport]["height"]
    assert box is not None and box["y"] + box["height"] <= height and box["y"] > height * 0.6
    assert page.evaluate(_OVERFLOW) <= 0
    _shot(page, f"{viewport}-light-long-chat")

    # Streaming is followed while the reader is at the end...
    send(page, LONG)
    page.wait_for_selector("[data-provisional] [data-stream-tail] p", timeout=15_000)
    for _ in range(3):
        time.sleep(0.7)
        assert page.evaluate(_AT_END), "the newest words stay in view"
    assert page.is_hidden("[data-jump-latest]")
    # ...and not once they scroll up: "Jump to latest" appears instead.
    page.evaluate("() => document.querySelector('[data-chat-scroll]').scrollTo({top: 0})")
    page.wait_for_selector("[data-jump-latest]:not([hidden])", timeout=5_000)
    scrolled = page.evaluate("() => document.querySelector('[data-chat-scroll]').scrollTop")
    time.sleep(0.8)
    assert page.evaluate("() => document.querySelector('[data-chat-scroll]').scrollTop") == scrolled
    _shot(page, f"{viewport}-light-jump-to-latest")
    page.click("[data-jump-latest]")
    page.wait_for_function(_AT_END, timeout=5_000)
    assert page.is_hidden("[data-jump-latest]")
    assert page.evaluate("() => document.activeElement.matches('[data-composer] textarea')")
    wait_for_answer(page)
    page.wait_for_function(_AT_END)


def test_switching_model_mid_chat_runs_the_next_turn_on_it(
    context: Any, chat_server: ChatServer, viewport: str, recording_provider: FakeProviderServer
) -> None:
    chat_server.provider(
        "recorded", recording_provider.openai_base_url, "echo", "demo-flaky", kind="fake"
    )
    ids = chat_server.chats(("demo", "recorded", "echo"))
    page = context.new_page()
    errors = _watch(page)
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    send(page, "first on echo")
    wait_for_answer(page)

    provider = page.get_attribute("[data-model-select] option[selected]", "value").split(":")[0]
    page.focus("[data-model-select]")
    page.select_option("[data-model-select]", f"{provider}:demo-flaky")
    page.wait_for_selector('#chat-notice[data-notice-code="model_switched"]')
    assert page.inner_text("#chat-notice") == "The next answer uses demo-flaky."
    page.wait_for_selector("[data-model-select][data-chat-model='demo-flaky']")
    assert page.evaluate("() => document.activeElement.matches('[data-model-select]')"), (
        "focus stays on the picker when the header is refreshed"
    )

    page.click("[data-settings-toggle]")
    page.wait_for_selector("[data-chat-settings]:not([hidden])")
    page.fill("[data-system-prompt]", "Answer like a pirate.")
    page.click("[data-system-prompt-save]")
    page.wait_for_selector('#chat-notice[data-notice-code="settings_saved"]')
    page.wait_for_selector('[data-settings-toggle][data-system-prompt-set="true"]')

    send(page, "second, on the new model")
    page.wait_for_selector('[data-callout][data-phase="retrying"][data-kind="rate_limit"]')
    wait_for_answer(page)
    mine = [
        r
        for r in recording_provider.requests()
        if r["headers"].get("x-fake-conversation", "").startswith(f"chat-{ids['echo']}-")
    ]
    assert mine[0]["model"] == "echo"
    assert {r["model"] for r in mine[1:]} == {"demo-flaky"}
    assert mine[-1]["body"]["messages"][0] == {"role": "system", "content": "Answer like a pirate."}
    body = page.request.get(f"{chat_server.base_url}/api/chats/{ids['echo']}/").json()
    assert [m["model"] for m in body["messages"] if m["role"] == "assistant"] == [
        "echo",
        "demo-flaky",
    ]
    assert errors == []


def test_the_phone_layout_a_drawer_and_a_header_that_never_wraps(
    browser: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    context = browser.new_context(viewport=VIEWPORTS["mobile"])
    try:
        page = context.new_page()
        login(page, chat_server.base_url)
        chat_server.server.manage(
            "shell",
            "-c",
            f"from chatcore.models import Chat; Chat.objects.filter(pk={ids['echo']}).update("
            "title='A rather long chat title that would never fit on one phone line')",
        )
        open_chat(page, chat_server.base_url, ids["echo"])
        head = page.locator(".chat-head").bounding_box()
        title = page.locator("#chat-title").bounding_box()
        assert head is not None and title is not None
        assert head["height"] <= 57 and title["height"] < 30, "one line"
        assert page.is_hidden("[data-sidebar] [data-new-chat]"), "the sidebar is a closed drawer"
        toggle = page.locator("[data-sidebar-toggle]")
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        page.wait_for_selector("[data-app][data-drawer-open]")
        assert toggle.get_attribute("aria-expanded") == "true"
        page.wait_for_function("() => document.activeElement.matches('[data-new-chat]')")
        assert page.evaluate(_OVERFLOW) <= 0
        page.keyboard.press("Escape")
        page.wait_for_selector("[data-app]:not([data-drawer-open])")
        assert page.evaluate("() => document.activeElement.matches('[data-sidebar-toggle]')")
        for path in ("/chats/", "/chats/new/", "/usage/", f"/chats/{ids['echo']}/"):
            page.goto(chat_server.base_url + path)
            assert page.evaluate(_OVERFLOW) <= 0, path
            assert page.locator(".app-head, .chat-head").first.bounding_box()["height"] <= 57, path
    finally:
        context.close()


def test_keyboard_new_chat_shortcut_and_search_shortcut(page: Any, chat_server: ChatServer) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    login(page, chat_server.base_url)
    open_chat(page, chat_server.base_url, ids["echo"])
    assert page.evaluate("() => document.activeElement.matches('[data-composer] textarea')"), (
        "a chat opens with the composer focused"
    )
    page.keyboard.press("Control+k")
    page.wait_for_function("() => document.activeElement.matches('[data-chat-search]')")
    page.keyboard.press("Control+Shift+O")
    page.wait_for_url("**/chats/new/")


def test_reconnect_now_and_the_browser_going_online_reconnect_at_once(
    page: Any, chat_server: ChatServer
) -> None:
    ids = chat_server.chats(("demo", "demo", "echo"))
    proxy = TcpProxy(chat_server.server.port)
    try:
        login(page, proxy.url)
        open_chat(page, proxy.url, ids["echo"])
        proxy.refusing.set()
        proxy.drop_all()
        page.wait_for_selector(
            '[data-callout][data-phase="reconnecting"] [data-attempt="3"]', timeout=15_000
        )
        assert page.inner_text("[data-callout] [data-countdown]") == "Reconnecting in 4s"
        proxy.refusing.clear()
        started = time.monotonic()
        page.click("[data-reconnect-now]")
        page.wait_for_selector('[data-chat][data-socket="open"]', timeout=3_000)
        assert time.monotonic() - started < 2, "at once, not after the 4 s backoff"
        assert not page.query_selector('[data-callout][data-phase="reconnecting"]')

        proxy.refusing.set()
        proxy.drop_all()
        page.wait_for_selector(
            '[data-callout][data-phase="reconnecting"] [data-attempt="3"]', timeout=15_000
        )
        proxy.refusing.clear()
        started = time.monotonic()
        page.context.set_offline(True)
        page.context.set_offline(False)  # the browser says: online again
        page.wait_for_selector('[data-chat][data-socket="open"]', timeout=3_000)
        assert time.monotonic() - started < 2
    finally:
        proxy.close()


def _require_axe() -> None:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run scripts/setup.sh --browser"
        if REQUIRE_SERVICES or os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_clean_and_screenshots_of_every_page_in_both_themes(
    browser: Any, chat_server: ChatServer, scheme: str
) -> None:
    """Chat (with a failed turn's callout), sidebar (statuses, an open menu), settings
    open, the start page and usage, desktop and phone; the theme from the system, and
    the toggle switching it (and remembering it)."""
    _require_axe()
    ids = chat_server.chats(("demo", "demo", "demo-auth"), ("demo", "demo", "echo"))
    violations: list[str] = []
    for name, size in VIEWPORTS.items():
        context = browser.new_context(viewport=size, color_scheme=scheme)
        context.add_init_script(path=str(AXE))
        try:
            page = context.new_page()
            errors = _watch(page)
            login(page, chat_server.base_url)
            open_chat(page, chat_server.base_url, ids["demo-auth"])
            send(page, "Does my key work?")
            page.wait_for_selector('[data-callout][data-phase="failed"]')
            open_chat(page, chat_server.base_url, ids["echo"])
            send(page, "Show me **markdown** and `code`")
            wait_for_answer(page)
            for state in ("chat", "settings", "sidebar-menu"):
                if state != "chat":
                    open_chat(page, chat_server.base_url, ids["echo"])
                if state == "settings":
                    page.click("[data-settings-toggle]")
                elif state == "sidebar-menu":
                    _show_sidebar(page)
                    page.click(f"{_entry(ids['demo-auth'])} [data-sidebar-menu]")
                violations += [f"{scheme} {name} {state}: {v}" for v in page.evaluate(_AXE_RUN)]
                _shot(page, f"{name}-{scheme}-{state}")
            for path, state in (("/chats/new/", "start"), ("/usage/", "usage")):
                page.goto(chat_server.base_url + path)
                violations += [f"{scheme} {name} {state}: {v}" for v in page.evaluate(_AXE_RUN)]
                _shot(page, f"{name}-{scheme}-{state}")
            assert errors == []
            # The toggle switches to the other theme and remembers it.
            other = "dark" if scheme == "light" else "light"
            _show_sidebar(page)
            page.click("[data-sidebar] [data-theme-toggle]")
            assert page.get_attribute("html", "data-theme") == other
            page.reload()
            assert page.get_attribute("html", "data-theme") == other
            assert (
                page.evaluate("() => getComputedStyle(document.documentElement).colorScheme")
                == other
            )
            stored = page.evaluate("() => localStorage.getItem('calmchat:theme')")
            assert json.dumps(stored) == json.dumps(other)
        finally:
            context.close()
    assert violations == []
