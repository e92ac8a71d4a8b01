"""Story checks: the few facts each gallery story asserts about its rendering.

A check is one single-key mapping in the story's YAML, e.g.
`{text: ['[data-kind-pill]', 'Rate limit']}` or `{absent: '[data-usage-link]'}`.
The gallery shows each check beside its story; the test suite renders every
story and fails on any check that does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatui.gallery.dom import Node, parse_html, select, text_of

__all__ = ["CHECK_KINDS", "Check", "CheckResult", "parse_check", "run_checks"]


@dataclass(frozen=True, slots=True)
class Check:
    """One assertion about a rendered story."""

    kind: str
    args: tuple[Any, ...]

    @property
    def description(self) -> str:
        return _DESCRIBE[self.kind](*self.args)


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: Check
    problem: str  # empty when the check holds

    @property
    def passed(self) -> bool:
        return not self.problem


def _first(root: Node, selector: str) -> Node | None:
    found = select(root, selector)
    return found[0] if found else None


def _exists(root: Node, selector: str) -> str:
    return "" if select(root, selector) else f"nothing matches {selector}"


def _absent(root: Node, selector: str) -> str:
    found = len(select(root, selector))
    return f"{found} element(s) match {selector}" if found else ""


def _count(root: Node, selector: str, expected: int) -> str:
    found = len(select(root, selector))
    return "" if found == expected else f"{found} element(s) match {selector}, not {expected}"


def _text(root: Node, selector: str, expected: str) -> str:
    node = _first(root, selector)
    if node is None:
        return f"nothing matches {selector}"
    actual = text_of(node)
    return "" if actual == expected else f"{selector} reads {actual!r}"


def _text_matches(root: Node, selector: str, pattern: str) -> str:
    node = _first(root, selector)
    if node is None:
        return f"nothing matches {selector}"
    actual = text_of(node)
    return "" if re.fullmatch(pattern, actual) else f"{selector} reads {actual!r}"


def _attr(root: Node, selector: str, name: str, expected: str | None = None) -> str:
    node = _first(root, selector)
    if node is None:
        return f"nothing matches {selector}"
    if name not in node.attrs:
        return f"{selector} has no {name}"
    actual = node.attrs[name]
    return "" if expected is None or actual == expected else f"{selector} has {name}={actual!r}"


def _has_text(root: Node, expected: str) -> str:
    return "" if expected in text_of(root) else f"the text lacks {expected!r}"


def _no_text(root: Node, unwanted: str) -> str:
    return f"the text contains {unwanted!r}" if unwanted in text_of(root) else ""


def _no_text_matches(root: Node, pattern: str) -> str:
    found = re.search(pattern, text_of(root))
    return f"the text contains {found.group(0)!r}" if found else ""


_RUN: dict[str, Callable[..., str]] = {
    "exists": _exists,
    "absent": _absent,
    "count": _count,
    "text": _text,
    "text_matches": _text_matches,
    "attr": _attr,
    "has_text": _has_text,
    "no_text": _no_text,
    "no_text_matches": _no_text_matches,
}

_DESCRIBE: dict[str, Callable[..., str]] = {
    "exists": lambda sel: f"has {sel}",
    "absent": lambda sel: f"no {sel}",
    "count": lambda sel, n: f"exactly {n} of {sel}",
    "text": lambda sel, text: f"{sel} reads “{text}”",
    "text_matches": lambda sel, pattern: f"{sel} matches /{pattern}/",
    "attr": lambda sel, name, value=None: (
        f"{sel} has {name}" if value is None else f'{sel} has {name}="{value}"'
    ),
    "has_text": lambda text: f"shows “{text}”",
    "no_text": lambda text: f"no “{text}” text anywhere",
    "no_text_matches": lambda pattern: f"no text matching /{pattern}/",
}

CHECK_KINDS = frozenset(_RUN)


def parse_check(raw: Mapping[str, Any]) -> Check:
    """A check from its YAML form; raises ValueError on anything malformed."""
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ValueError(f"a check is a single-key mapping, got {raw!r}")
    ((kind, value),) = raw.items()
    if kind not in _RUN:
        raise ValueError(f"unknown check {kind!r} (known: {', '.join(sorted(_RUN))})")
    args = tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else (value,)
    check = Check(str(kind), args)
    try:
        check.description  # noqa: B018 - validates the arity before any rendering
        if kind in {"has_text", "no_text", "no_text_matches"}:
            if not isinstance(args[0], str) or not args[0]:
                raise ValueError("expected a non-empty string")
            if kind == "no_text_matches":
                re.compile(args[0])
        else:
            select(Node("#root"), str(args[0]))
        if kind == "text_matches":
            re.compile(str(args[1]))
    except (TypeError, ValueError, re.error) as exc:
        raise ValueError(f"malformed {kind} check {value!r}: {exc}") from exc
    return check


def run_checks(html: str, checks: Sequence[Check]) -> list[CheckResult]:
    """Evaluate every check against the rendered HTML."""
    root = parse_html(html)
    return [CheckResult(check, _RUN[check.kind](root, *check.args)) for check in checks]
