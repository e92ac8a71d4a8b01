"""Browser tests fail on any Content-Security-Policy violation.

Every context the browser tests open (the shared ``page`` fixture, the
gallery's, the chat servers' module contexts alike) goes through this
``browser``: it reports each ``securitypolicyviolation`` event, and each
console message in which Chromium refuses something under the policy, to the
test that is running, which then fails with the list. So the pages, the
gallery and the admin are proven to work under the policy the server sends,
not merely to carry the header.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Turn the DOM event into a console line the context listener below sees; the
# event also covers what Chromium does not log (a refused style attribute).
_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.href}:${event.lineNumber}`);
});
"""
_MARKERS = ("CSP violation:", "Content Security Policy")

_violations: list[str] = []


def _watch(context: Any) -> Any:
    context.add_init_script(_REPORTER)

    def on_console(message: Any) -> None:
        if any(marker in message.text for marker in _MARKERS):
            _violations.append(message.text)

    context.on("console", on_console)
    return context


class _WatchedBrowser:
    """The session's Chromium; every context it opens reports CSP violations."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        return _watch(self._browser.new_context(**options))

    def new_page(self, **options: Any) -> Any:
        return self.new_context(**options).new_page()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(browser: Any) -> _WatchedBrowser:
    return _WatchedBrowser(browser)


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    _violations.clear()
    yield
    found, _violations[:] = list(_violations), []
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)
