"""Hostile provider texts and the check that a rendered page shows them as inert text."""

from __future__ import annotations

from collections.abc import Iterable

from chatui.gallery.dom import Node, parse_html, text_of

__all__ = ["MARKUP", "assert_inert", "hostile", "shown_text"]

# A script element and an attribute breakout, the two classic injections.
MARKUP = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def hostile(field: str) -> str:
    """A text for ``field`` that is markup if anything renders it unescaped."""
    return f"{field}{MARKUP[0]}{MARKUP[1]}"


def _seen(field: str) -> str:
    # What a reader sees of `hostile(field)` up to the quote: JSON blocks show the
    # quote as `\"`, so the check stops before it.
    return f"{field}{MARKUP[0]}"


def shown_text(root: Node) -> str:
    """Everything a reader sees, attribute values included (a title= tooltip is shown too)."""
    attributes = " ".join(value for node in root.elements() for value in node.attrs.values())
    return f"{text_of(root)} {attributes}"


def assert_inert(html: str, *, shows: Iterable[str] = ()) -> None:
    """No hostile markup became markup in ``html``, and each field in ``shows`` is shown as text."""
    for raw in ("<script>alert(1)", "<img src=x onerror"):
        assert raw not in html, f"unescaped {raw!r} in the HTML"
    root = parse_html(html)
    for node in root.elements():
        handlers = [name for name in node.attrs if name.startswith("on")]
        assert not handlers, f"<{node.tag}> got event handler attributes {handlers}"
        if node.tag == "script":
            body = "".join(child for child in node.children if isinstance(child, str))
            assert "alert(" not in body, "a provider text became a script"
    seen = shown_text(root)
    for field in shows:
        assert _seen(field) in seen, f"{field!r} is not shown as text"
