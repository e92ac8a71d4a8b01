"""The components' behaviour and accessibility in a real Chromium (issue 9 item 4).

Driven on the gallery's story pages, i.e. on the real partials, stylesheet and
static/js/components.js. Callout updates are simulated the way the websocket
delivers them: a server-rendered fragment swapped into the callout slot.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_gallery import VIEWPORTS

pytestmark = pytest.mark.browser


@pytest.fixture
def ui(browser: Any, staff_browser_state: dict[str, Any], live_server_proc: Any) -> Iterator[Any]:
    context = browser.new_context(storage_state=staff_browser_state, viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def open_story(key: str) -> Any:
        page.goto(f"{live_server_proc.url}/gallery/{key}/")
        page.wait_for_function("() => window.CalmChat !== undefined")
        return page

    page.open_story = open_story  # type: ignore[attr-defined]
    try:
        yield page
        assert errors == []
    finally:
        context.close()


# Record every change to the polite live region, as a screen reader would hear it.
_RECORD_ANNOUNCEMENTS = """() => {
  window.__heard = [];
  const live = document.querySelector('[data-callout-region] [aria-live="polite"]');
  new MutationObserver(() => window.__heard.push(live.textContent))
    .observe(live, {subtree: true, childList: true, characterData: true});
}"""

# Swap a server-rendered callout into the slot, as the websocket fragment does.
_SWAP_IN = """async (url) => {
  const html = await (await fetch(url)).text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  const callout = doc.querySelector("[data-callout]");
  document.querySelector("[data-callout-slot]").replaceChildren(document.adoptNode(callout));
}"""


def _fragment(key: str) -> str:
    return f"/gallery/{key}/?fragment=1"


def test_live_region_announces_each_state_change_once_and_never_the_seconds(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/retrying-rate-limit")
    live = page.locator('[data-callout-region] [aria-live="polite"]')
    assert live.get_attribute("aria-atomic") == "true"
    page.evaluate(_RECORD_ANNOUNCEMENTS)
    seconds = page.locator("[data-countdown-seconds]")
    before = seconds.text_content()
    page.wait_for_function(
        f"() => document.querySelector('[data-countdown-seconds]').textContent !== '{before}'"
    )
    page.wait_for_timeout(1100)  # a second tick
    assert page.evaluate("() => window.__heard") == []

    page.evaluate(_SWAP_IN, _fragment("chat_status_callout/failed-rate-limit"))
    page.wait_for_function("() => window.__heard.length > 0")
    heard = page.evaluate("() => window.__heard")
    assert len(heard) == 1
    assert heard[0].startswith("Request failed. Rate limit. OpenAI kept rate limiting")

    # The same state rendered again (a snapshot after a reconnect) is not re-read.
    page.evaluate(_SWAP_IN, _fragment("chat_status_callout/failed-rate-limit"))
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__heard") == heard


@pytest.mark.parametrize(
    "key",
    [
        "chat_status_callout/retrying-overloaded",
        "chat_status_callout/reconnecting",
        "countdown/fifty-nine-seconds",
    ],
)
def test_ticking_text_is_outside_every_live_region(ui: Any, key: str) -> None:
    page = ui.open_story(key)
    inside = page.evaluate(
        """() => [...document.querySelectorAll("[data-countdown]")].map((el) =>
            el.closest('[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log], [role=timer]') !== null)"""
    )
    assert inside == [False]


def test_buttons_and_links_have_accessible_names(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/retrying-overloaded")
    assert page.get_by_role("button", name="Retry now").count() == 1
    assert page.get_by_role("button", name="Stop").count() == 1
    assert page.get_by_role("link", name="Provider status page (opens in a new tab)").count() == 1
    page = ui.open_story("chat_status_callout/failed-timeout")
    assert page.get_by_role("button", name="Try again").count() == 1
    page = ui.open_story("chat_status_callout/failed-usage-limit-own-limit")
    assert page.get_by_role("link", name="View usage").count() == 1
    page = ui.open_story("composer/ready")
    assert page.get_by_role("textbox", name="Message").count() == 1
    assert page.get_by_role("button", name="Send").count() == 1


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("kind_pill/rate-limit", "Rate limit"),
        ("kind_pill/startup-timeout", "Startup timeout"),
        ("kind_pill/generic", "Unexpected error"),
        ("kind_pill/unknown-future-kind", "Quota paused for review"),
    ],
)
def test_the_pill_says_the_kind_in_words_not_colour_alone(ui: Any, key: str, words: str) -> None:
    page = ui.open_story(key)
    pill = page.locator("[data-kind-pill]")
    assert pill.inner_text() == words
    assert pill.is_visible()


def test_the_phase_is_said_in_words_not_colour_alone(ui: Any) -> None:
    titles = {}
    for key in ("retrying-timeout", "failed-timeout", "reconnecting", "starting"):
        page = ui.open_story(f"chat_status_callout/{key}")
        titles[key] = page.locator("[data-callout-title]").inner_text()
    assert len(set(titles.values())) == 4, titles


def test_updates_never_steal_focus(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/failed-missing-key-composer")
    box = page.locator("[data-composer] textarea")
    box.click()
    page.keyboard.type("still typing")
    page.evaluate(_SWAP_IN, _fragment("chat_status_callout/retrying-rate-limit"))
    page.wait_for_timeout(1200)  # let the new countdown tick
    assert page.evaluate("() => document.activeElement.name") == "content"
    assert box.input_value() == "still typing"


def test_focus_on_a_replaced_button_moves_to_its_successor(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/retrying-rate-limit")
    page.locator("[data-stop]").focus()
    page.evaluate(_SWAP_IN, _fragment("chat_status_callout/retrying-overloaded"))
    page.wait_for_function("() => document.activeElement.dataset.action === 'stop'")
    assert (
        page.evaluate("() => document.querySelector('[data-callout]').dataset.kind") == "overloaded"
    )


def test_keyboard_reaches_and_presses_the_callout_buttons(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/retrying-overloaded")
    page.evaluate(
        """() => { window.__actions = [];
           document.addEventListener("calmchat:action", (e) => window.__actions.push(e.detail.action)); }"""
    )
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        action = page.evaluate("() => document.activeElement.dataset.action || null")
        if action:
            reached.append(action)
            page.keyboard.press("Enter" if action == "stop" else "Space")
        if len(reached) == 2:
            break
    assert reached == ["retry_now", "stop"]
    assert page.evaluate("() => window.__actions") == ["retry_now", "stop"]


def test_composer_enter_sends_and_shift_enter_adds_a_line(ui: Any) -> None:
    page = ui.open_story("composer/ready")
    page.evaluate(
        """() => { window.__sent = [];
           document.querySelector("[data-composer]").addEventListener("submit",
             (e) => window.__sent.push(e.target.content.value)); }"""
    )
    box = page.locator("[data-composer] textarea")
    box.click()
    page.keyboard.press("Enter")  # empty: nothing to send
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert box.input_value() == "first line\nsecond line"
    assert page.evaluate("() => window.__sent") == []
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.__sent") == ["first line\nsecond line"]


def test_composer_is_disabled_until_the_socket_opens(ui: Any) -> None:
    page = ui.open_story("composer/connecting")
    box = page.locator("[data-composer] textarea")
    send = page.locator("[data-composer-send]")
    assert box.is_disabled() and send.is_disabled()
    page.evaluate(
        """() => document.querySelector("[data-composer]").dispatchEvent(
             new CustomEvent("htmx:wsOpen", {bubbles: true}))"""
    )
    assert box.is_enabled() and send.is_enabled()
    box.fill("typed while connected")
    page.evaluate(
        """() => document.querySelector("[data-composer]").dispatchEvent(
             new CustomEvent("htmx:wsClose", {bubbles: true}))"""
    )
    # The socket dropped: sending waits, but the user keeps the box and the text.
    assert box.is_enabled() and send.is_disabled()
    page.evaluate(
        """() => { window.__sent = 0; document.querySelector("[data-composer]")
             .addEventListener("submit", () => window.__sent++); }"""
    )
    box.press("Enter")
    assert page.evaluate("() => window.__sent") == 0
    assert box.input_value() == "typed while connected"


def test_delayed_start_switches_at_15_seconds(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/starting")
    title = page.locator("[data-callout-title]")
    assert title.inner_text() == "Thinking…"
    switched_early = page.evaluate(
        """() => new Promise((resolve) => {
          const callout = document.querySelector("[data-callout]");
          const started = Date.now() - 14600;
          callout.dataset.startedAt = new Date(started).toISOString();
          window.CalmChat.refresh(callout);
          const title = callout.querySelector("[data-callout-title]");
          new MutationObserver(() => resolve(Date.now() - started - 15000))
            .observe(title, {childList: true, characterData: true, subtree: true});
        })"""
    )
    assert 0 <= switched_early < 100
    assert title.inner_text() == "Response startup is taking longer than expected"


def test_retry_now_waits_for_the_provider_floor(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/retrying-retry-after-floor")
    button = page.locator("[data-retry-now]")
    assert button.is_disabled()
    enabled_after = page.evaluate(
        """() => new Promise((resolve) => {
          const button = document.querySelector("[data-retry-now]");
          const floor = Date.now() + 1200;
          button.dataset.notBefore = new Date(floor).toISOString();
          window.CalmChat.refresh(button.closest("[data-callout]"));
          new MutationObserver(() => { if (!button.disabled) resolve(Date.now() - floor); })
            .observe(button, {attributes: true, attributeFilter: ["disabled"]});
        })"""
    )
    assert 0 <= enabled_after < 100
    assert button.is_enabled()


def test_reconnecting_callout_is_cloned_from_the_server_template(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/starting")
    page.evaluate(_RECORD_ANNOUNCEMENTS)
    page.evaluate(
        """() => window.CalmChat.showReconnecting(
             document.querySelector("[data-callout-region]"),
             {attempt: 4, deadline: new Date(Date.now() + 3000).toISOString()})"""
    )
    callout = page.locator("[data-callout]")
    assert callout.get_attribute("data-phase") == "reconnecting"
    assert page.locator("[data-attempt]").inner_text() == "Attempt 4"
    assert page.locator("[data-countdown]").inner_text() in {
        "Reconnecting in 3s",
        "Reconnecting in 2s",
    }
    page.wait_for_function("() => window.__heard.length === 1")
    assert page.evaluate("() => window.__heard")[0].startswith("Connection lost.")
    page.evaluate(
        "() => window.CalmChat.clearCallout(document.querySelector('[data-callout-region]'))"
    )
    assert page.locator("[data-callout]").count() == 0


def test_provider_html_in_a_detail_runs_nothing(ui: Any) -> None:
    page = ui.open_story("chat_status_callout/failed-detail-with-html")
    assert page.evaluate("() => window.__calmchatXss") is None
    detail = page.locator("[data-detail]")
    assert detail.inner_text().startswith("<script>window.__calmchatXss = true</script>")
    assert detail.locator("script, img, b").count() == 0
    font = detail.evaluate("(el) => getComputedStyle(el).fontFamily")
    assert "mono" in font.lower()


def test_countdown_hides_at_zero(ui: Any) -> None:
    page = ui.open_story("countdown/one-second")
    countdown = page.locator("[data-countdown]")
    countdown.wait_for(state="hidden", timeout=3000)
    assert page.evaluate("() => document.querySelector('[data-countdown]').hidden") is True
