"""A tiny HTML tree and CSS-selector subset, enough to check rendered stories.

The standard library parses; this adds a tree and the selectors the story
checks use: a tag, `[attr]`, `[attr="value"]`, `.class`, `#id`, joined by
descendant (space) or child (`>`) combinators. No new dependency for that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Node", "parse_html", "select", "text_of"]

# Elements that never have children (the parser sees no end tag for them).
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
# Their text is not what a reader sees (a template's content is inert).
_SILENT = frozenset({"script", "style", "template"})
# Elements that start a new line, so their text never runs into a neighbour's.
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)


@dataclass(eq=False)
class Node:
    """An element: tag, attributes (valueless ones map to ""), children in order."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    def elements(self) -> list[Node]:
        """Every descendant element in document order.

        Like the browser's DOM, a nested `<template>`'s content is not part of
        the document: the template element is listed, its content is not.
        """
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                found.append(child)
                if child.tag != "template":
                    found.extend(child.elements())
        return found


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self._open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, parent=self._open)
        self._open.children.append(node)
        if tag not in _VOID:
            self._open = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.children.append(
            Node(tag, {name: value or "" for name, value in attrs}, parent=self._open)
        )

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self._open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:  # a stray end tag is ignored
            self._open = node.parent

    def handle_data(self, data: str) -> None:
        self._open.children.append(data)


def parse_html(html: str) -> Node:
    """The document as a tree under a `#root` node."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def text_of(node: Node) -> str:
    """The node's text as read: whitespace folded, blocks apart, no script/style/template."""
    parts: list[str] = []

    def walk(current: Node) -> None:
        for child in current.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag in _BLOCK:
                parts.append(" ")
                walk(child)
                parts.append(" ")
            elif child.tag not in _SILENT:
                walk(child)

    walk(node)
    return " ".join("".join(parts).split())


_COMPOUND = re.compile(
    r"""(?P<tag>[a-zA-Z][\w-]*|\*)
      | \[(?P<attr>[\w:-]+)(?:=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[\w-]+)))?\]
      | \.(?P<cls>[\w-]+)
      | \#(?P<id>[\w-]+)""",
    re.VERBOSE,
)
_TOKENS = re.compile(r"""\s*(>)\s*|\s+|((?:[^\s>"'\[]|\[[^\]]*\])+)""")


def _compound_test(text: str) -> list[tuple[str, str, str | None]]:
    tests: list[tuple[str, str, str | None]] = []
    pos = 0
    while pos < len(text):
        match = _COMPOUND.match(text, pos)
        if match is None:
            raise ValueError(f"unsupported selector part {text[pos:]!r}")
        if match["tag"]:
            if match["tag"] != "*":
                tests.append(("tag", match["tag"].lower(), None))
        elif match["attr"]:
            value = match["dq"] if match["dq"] is not None else match["sq"]
            tests.append(("attr", match["attr"], value if value is not None else match["bare"]))
        elif match["cls"]:
            tests.append(("class", match["cls"], None))
        else:
            tests.append(("attr", "id", match["id"]))
        pos = match.end()
    return tests


def _matches(node: Node, tests: list[tuple[str, str, str | None]]) -> bool:
    for kind, name, value in tests:
        if kind == "tag" and node.tag != name:
            return False
        if kind == "class" and name not in node.attrs.get("class", "").split():
            return False
        if kind == "attr" and (
            name not in node.attrs or (value is not None and node.attrs[name] != value)
        ):
            return False
    return True


def _parse_selector(selector: str) -> list[tuple[str, list[tuple[str, str, str | None]]]]:
    steps: list[tuple[str, list[tuple[str, str, str | None]]]] = []
    combinator = " "
    for match in _TOKENS.finditer(selector.strip()):
        if match[1]:
            combinator = ">"
        elif match[2]:
            steps.append((combinator, _compound_test(match[2])))
            combinator = " "
    if not steps:
        raise ValueError(f"empty selector {selector!r}")
    return steps


def _chain_matches(node: Node, steps: list[tuple[str, list[tuple[str, str, str | None]]]]) -> bool:
    combinator, tests = steps[-1]
    if not _matches(node, tests):
        return False
    if len(steps) == 1:
        return True
    ancestor = node.parent
    while ancestor is not None and ancestor.tag != "#root":
        if _chain_matches(ancestor, steps[:-1]):
            return True
        if combinator == ">":
            return False
        ancestor = ancestor.parent
    return False


def select(root: Node, selector: str) -> list[Node]:
    """Elements under `root` matching the selector, in document order."""
    steps = _parse_selector(selector)
    return [node for node in root.elements() if _chain_matches(node, steps)]
