"""The gallery in a real Chromium: every page, light and dark, desktop and phone.

Each page must load without console errors, never scroll sideways, and leave a
screenshot under test-output/screenshots/<viewport>-<scheme>/ that is not blank.
The countdown stories must tick on the real second, and axe-core must find no
serious or critical violation on any page.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatui.gallery import load_catalogue
from tests.conftest import REQUIRE_SERVICES, ROOT

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")

STORIES = [story for entry in load_catalogue() for story in entry.stories]
PAGES = [("index", "/gallery/")] + [
    (f"{story.component}--{story.slug}", f"/gallery/{story.component}/{story.slug}/")
    for story in STORIES
]
TICKING = [story for story in STORIES if story.ticks]

# A page counts as blank when one colour covers nearly all of it or its
# brightness hardly varies: what a failed stylesheet or an empty render gives.
_IMAGE_STATS = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: "image/png"}));
  const width = Math.min(bitmap.width, 640);
  const height = Math.max(1, Math.round(bitmap.height * width / bitmap.width));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  const counts = new Map();
  let sum = 0, sumSq = 0;
  const pixels = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] >> 4) << 8 | (data[i + 1] >> 4) << 4 | (data[i + 2] >> 4);
    counts.set(key, (counts.get(key) || 0) + 1);
    const lum = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
    sum += lum; sumSq += lum * lum;
  }
  const mean = sum / pixels;
  return {dominant: Math.max(...counts.values()) / pixels, colours: counts.size,
          std: Math.sqrt(Math.max(0, sumSq / pixels - mean * mean))};
}"""


def near_uniform(page: Any, png: bytes) -> tuple[bool, dict[str, float]]:
    stats = page.evaluate(_IMAGE_STATS, base64.b64encode(png).decode())
    blank = stats["dominant"] > 0.985 or stats["std"] < 4 or stats["colours"] < 6
    return blank, stats


@pytest.fixture
def gallery_state(staff_browser_state: dict[str, Any]) -> dict[str, Any]:
    """Outside DEBUG the gallery is for staff only."""
    return staff_browser_state


@pytest.fixture
def gallery_page(browser: Any, gallery_state: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(storage_state=gallery_state, viewport=VIEWPORTS["desktop"])
    try:
        yield context.new_page()
    finally:
        context.close()


def _watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_anonymous_visitors_get_404(page: Any, live_server_proc: Any) -> None:
    response = page.goto(f"{live_server_proc.url}/gallery/")
    assert response is not None and response.status == 404


def test_blank_check_catches_a_blank_page(gallery_page: Any) -> None:
    gallery_page.set_content("<body style='margin:0;background:#f7f7f5'></body>")
    blank, _ = near_uniform(gallery_page, gallery_page.screenshot(full_page=True, caret="initial"))
    assert blank
    gallery_page.set_content("<body style='background:#fff'><p style='font-size:4px'>.</p></body>")
    blank, _ = near_uniform(gallery_page, gallery_page.screenshot(full_page=True, caret="initial"))
    assert blank


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_gallery_page(
    browser: Any, gallery_state: dict[str, Any], live_server_proc: Any, scheme: str, viewport: str
) -> None:
    folder = SCREENSHOTS / f"{viewport}-{scheme}"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        storage_state=gallery_state, viewport=VIEWPORTS[viewport], color_scheme=scheme
    )
    problems: list[str] = []
    try:
        page = context.new_page()
        errors = _watch_errors(page)
        for name, path in PAGES:
            response = page.goto(live_server_proc.url + path, wait_until="load")
            if response is None or response.status != 200:
                problems.append(f"{path}: HTTP {response.status if response else '?'}")
                continue
            assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") is (
                scheme == "dark"
            )
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"{path}: {overflow}px of horizontal overflow")
            if page.evaluate("() => window.__calmchatXss !== undefined"):
                problems.append(f"{path}: provider text ran as script")
            png = page.screenshot(path=str(folder / f"{name}.png"), full_page=True, caret="initial")
            blank, stats = near_uniform(page, png)
            if blank:
                problems.append(f"{path}: near-uniform screenshot {stats}")
            if errors:
                problems.append(f"{path}: console errors {errors}")
                errors.clear()
    finally:
        context.close()
    assert problems == []
    assert len(list(folder.glob("*.png"))) >= len(PAGES)


_FLIPS = """() => new Promise((resolve) => {
  const el = document.querySelector("[data-gallery-canvas] [data-countdown]");
  const out = el.querySelector("[data-countdown-seconds]");
  const deadline = Date.parse(el.dataset.deadline);
  const start = el.hidden ? 0 : Number(out.textContent);
  const flips = [];
  const done = () => { observer.disconnect(); resolve({start, flips}); };
  const observer = new MutationObserver(() => {
    const left = deadline - Date.now();
    const value = el.hidden ? 0 : Number(out.textContent);
    if (flips.length && flips[flips.length - 1].value === value) return;
    flips.push({value, left, hidden: el.hidden});
    if (flips.length >= 2 || el.hidden) done();
  });
  observer.observe(el, {subtree: true, childList: true, characterData: true,
                        attributes: true, attributeFilter: ["hidden"]});
  setTimeout(done, 3500);
})"""


@pytest.mark.parametrize("story", TICKING, ids=[story.key for story in TICKING])
def test_countdown_ticks_on_the_real_second(
    gallery_page: Any, live_server_proc: Any, story: Any
) -> None:
    errors = _watch_errors(gallery_page)
    gallery_page.goto(f"{live_server_proc.url}/gallery/{story.component}/{story.slug}/")
    result = gallery_page.evaluate(_FLIPS)
    assert result["flips"], f"the countdown did not change in 3.5 s: {result}"
    expected = result["start"]
    for flip in result["flips"]:
        expected -= 1
        assert flip["value"] == max(expected, 0), result
        # The text shows N while N-1 s < time left <= N s: it must flip right
        # after the boundary N*1000 ms, never before and at most 100 ms after.
        boundary = flip["value"] * 1000
        assert boundary - 100 < flip["left"] <= boundary, result
        assert flip["hidden"] is (flip["value"] == 0)
    assert errors == []


_AXE_RUN = """async (rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  return (await axe.run(document, options)).violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(" | ")}`);
}"""
# Between the schemes only colours change, so the dark pass runs the colour rules.
_COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def _require_axe() -> None:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run scripts/setup.sh --browser"
        if REQUIRE_SERVICES or os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def test_axe_catches_a_violation(browser: Any) -> None:
    _require_axe()
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        page.set_content(
            "<html lang=en><body><main><button></button><p style='color:#eee'>faint</p></main></body></html>"
        )
        found = " ".join(page.evaluate(_AXE_RUN, None))
        assert "button-name (critical)" in found and "color-contrast (serious)" in found
    finally:
        context.close()


def test_axe_finds_no_serious_violation(
    browser: Any, gallery_state: dict[str, Any], live_server_proc: Any
) -> None:
    _require_axe()
    violations: list[str] = []
    for scheme, rules in (("light", None), ("dark", _COLOUR_RULES)):
        context = browser.new_context(
            storage_state=gallery_state, viewport=VIEWPORTS["desktop"], color_scheme=scheme
        )
        context.add_init_script(path=str(AXE))
        try:
            page = context.new_page()
            for _, path in PAGES:
                page.goto(live_server_proc.url + path)
                found = page.evaluate(_AXE_RUN, rules)
                violations.extend(f"{scheme} {path}: {item}" for item in found)
        finally:
            context.close()
    assert violations == []


def test_screenshots_folder_is_git_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "test-output/" in ignored and "node_modules" in ignored
    assert Path(SCREENSHOTS).is_relative_to(ROOT / "test-output")
