"""Answers as safe HTML: markdown rendered on the server, with highlighted code.

Two walls keep model output from becoming markup we did not mean:

1. markdown-it (CommonMark with GFM tables, strikethrough, task lists and
   autolinks) with raw HTML switched off, so ``<script>`` in an answer is
   text; links only for http, https and mailto; images become links (never
   fetched); fenced code is escaped and highlighted by Pygments (CSS classes,
   no inline styles), language from the fence only.
2. nh3 with an explicit allow-list of elements and attributes; links get
   ``rel="noopener noreferrer nofollow"``.

``render_markdown`` renders a whole, persisted answer (cached by content, so a
transcript re-render costs a lookup). ``StreamRenderer`` renders an answer
while it streams: blocks that are complete (ended by a blank line or a closing
fence) are rendered once and appended; only the open tail block is rendered
again per frame, and the text of an open code fence is appended as escaped
text (highlighting follows when the fence closes).
"""

from __future__ import annotations

import html
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "TAIL_LIMIT",
    "AppendCode",
    "AppendDone",
    "ReplaceTail",
    "StreamRenderer",
    "code_css",
    "remember_rendered",
    "render_markdown",
    "sanitize",
]

# -- the second wall: what may reach a page -------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "a", "blockquote", "br", "button", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "input", "li", "ol", "p", "pre", "s", "span", "strong", "table",
        "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "button": frozenset({"type", "class", "data-copy", "aria-label"}),
    "code": frozenset({"class"}),
    "div": frozenset({"class", "data-code-block"}),
    "input": frozenset({"type", "checked", "disabled", "class"}),
    "li": frozenset({"class"}),
    "ol": frozenset({"start"}),
    "span": frozenset({"class"}),
    "td": frozenset({"class"}),
    "th": frozenset({"class"}),
    "ul": frozenset({"class"}),
}
_SCHEMES = frozenset({"http", "https", "mailto"})

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(_SCHEMES),
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitize(markup: str) -> str:
    """The allow-list wall: anything else is dropped (its text kept, escaped)."""
    return str(_CLEANER.clean(markup))


# -- the first wall: markdown-it configured for model output --------------------------------

_LINK = re.compile(r"(?:https?:|mailto:)", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_FORMATTER = HtmlFormatter(nowrap=True)


def _language(info: str) -> str:
    """The fence's language name, or "" (an unlabelled block is never guessed)."""
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    return word if _LANGUAGE.fullmatch(word) else ""


def code_block(code: str, language: str, *, highlighted: bool = True) -> str:
    """One code block: a header with the language and a Copy button, then the code."""
    body = html.escape(code, quote=False)
    css = ""
    if language:
        css = f' class="language-{html.escape(language.lower())}"'
        if highlighted:
            try:
                lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
            except ClassNotFound:
                lexer = None
            if lexer is not None:
                body = highlight(code, lexer, _FORMATTER)
    label = html.escape(language) if language else "code"
    return (
        '<div class="code-block" data-code-block><div class="code-head">'
        f'<span class="code-lang">{label}</span>'
        '<button type="button" class="code-copy" data-copy aria-label="Copy code">Copy</button>'
        f"</div><pre><code{css}>{body}</code></pre></div>"
    )


def _fence(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    return code_block(token.content, _language(token.info))


def _code_block(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return code_block(tokens[idx].content, "")


def _image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image is shown as a link to it (never fetched by the page)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = html.escape(token.content or src)
    if not _LINK.match(src):
        return alt
    return f'<a href="{html.escape(src)}">{alt or "image"}</a>'


def _alignment_as_class(state: StateCore) -> None:
    """Table alignment as classes: inline styles would need a looser content policy."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            if style.startswith("text-align:"):
                token.attrs.pop("style", None)
                token.attrSet("class", "align-" + style.split(":", 1)[1].strip())


def _build(*, linkify: bool) -> MarkdownIt:
    md = MarkdownIt("gfm-like", {"html": False, "linkify": linkify, "typographer": False})
    md.use(tasklists_plugin)
    if not linkify:
        md.disable("linkify")
    md.validateLink = lambda url: bool(_LINK.match(url.strip()))  # type: ignore[method-assign]
    md.core.ruler.push("alignment_as_class", _alignment_as_class)
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_block", _code_block)
    md.add_render_rule("image", _image)
    return md


_FINAL = _build(linkify=True)
# While a block streams it is rendered again every frame: autolinking (the
# slowest rule) waits until the block is complete.
_STREAMING = _build(linkify=False)


def render_block(text: str, *, streaming: bool = False) -> str:
    """Markdown to sanitised HTML (not cached)."""
    md = _STREAMING if streaming else _FINAL
    return sanitize(md.render(text))


class _Cache:
    """Rendered answers by their text, bounded by the size of what it holds."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._items: OrderedDict[str, SafeString] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, text: str) -> SafeString | None:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
            return found

    def put(self, text: str, rendered: SafeString) -> None:
        cost = len(text) + len(rendered)
        if cost > self.max_chars:
            return
        with self._lock:
            if text in self._items:
                return
            self._items[text] = rendered
            self._size += cost
            while self._size > self.max_chars:
                old_text, old = self._items.popitem(last=False)
                self._size -= len(old_text) + len(old)


_RENDERED = _Cache(max_chars=32 * 1024 * 1024)


def remember_rendered(text: str, rendered: str) -> None:
    """Keep ``rendered`` as the HTML of ``text`` (it must be exactly what rendering it
    gives: ``StreamRenderer.finish`` is the one caller)."""
    _RENDERED.put(text, mark_safe(rendered))


def render_markdown(text: str) -> SafeString:
    """A whole answer as safe HTML; rendered once per distinct text in this process."""
    found = _RENDERED.get(text)
    if found is None:
        found = mark_safe(render_block(text))  # sanitised by the allow-list above
        _RENDERED.put(text, found)
    return found


# -- streaming ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppendDone:
    """Append rendered, complete blocks to the streamed answer."""

    html: str


@dataclass(frozen=True, slots=True)
class ReplaceTail:
    """Replace the open tail block with this rendering."""

    html: str


@dataclass(frozen=True, slots=True)
class AppendCode:
    """Append text (to be escaped) to the code of the open fence in the tail."""

    text: str


Op = AppendDone | ReplaceTail | AppendCode

# The open block is rendered again every frame; past this many characters (a
# long paragraph or list with no blank line) its complete lines, or failing
# that its words, are committed, so a frame's cost stays bounded whatever the
# answer's length. The persisted answer is rendered whole, as one block.
TAIL_LIMIT = 2000

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})([^`\n]*)$")
# What can join two blocks across a blank line, so that rendering them apart is not
# rendering them together: a list item or an indented line before it (a list or an
# indented code block stays open) and a line indented or a list item after it; and a
# link reference definition anywhere (it applies to the whole document).
_OPENS_ONWARD = re.compile(r"^(?: {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)| {4}|\t)", re.M)
_CONTINUES = re.compile(r"(?:[ \t]*\n)*(?:[ \t]|(?:[-+*]|\d{1,9}[.)])(?:[ \t]|\n|$))")
_REFERENCE = re.compile(r"^ {0,3}\[", re.M)
# A fence line in a block that is not one of the fences followed while streaming (one
# indented into a list item, say): its code may run on past a blank line.
_ANY_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})", re.M)


@dataclass(slots=True)
class _Fence:
    marker: str  # the opening run of ` or ~
    language: str
    body_start: int  # offset of the code's first character


class StreamRenderer:
    """One streaming answer: ``feed`` text, get the page operations that show it."""

    def __init__(self) -> None:
        self.text = ""
        self.done_html: list[str] = []
        self.tail_html = ""
        self._done_upto = 0  # text before this offset is rendered and appended
        self._scanned = 0  # offset of the first line not yet looked at
        self._fence: _Fence | None = None
        self._code_shown = -1  # in a fence: offset up to which its code is on the page
        self._blocks: list[str] = []  # the source of each block in done_html
        self._split_mid_block = False  # a long block was cut where no blank line was

    def finish(self) -> str | None:
        """The whole answer's HTML, from the blocks already rendered while it streamed,
        when that is exactly what rendering the whole text gives; else None (render it
        whole). Call once, after the last ``feed``."""
        if self._fence is not None or self._split_mid_block or _REFERENCE.search(self.text):
            return None
        self._commit(len(self.text), [])
        for block in self._blocks:
            if not _FENCE_OPEN.match(block.split("\n", 1)[0]) and _ANY_FENCE.search(block):
                return None
        for before, after in zip(self._blocks, self._blocks[1:], strict=False):
            if _OPENS_ONWARD.search(before) and _CONTINUES.match(after):
                return None
        return "".join(self.done_html)

    def feed(self, text: str) -> list[Op]:
        self.text += text
        ops: list[Op] = []
        while (end := self.text.find("\n", self._scanned)) >= 0:
            start, self._scanned = self._scanned, end + 1
            line = self.text[start:end]
            if self._fence is None:
                opener = _FENCE_OPEN.match(line)
                if opener:
                    self._commit(start, ops)
                    marker, info = opener.group(1), opener.group(2)
                    self._fence = _Fence(marker, _language(info), self._scanned)
                    self._code_shown = -1
                elif not line.strip():
                    self._commit(self._scanned, ops)
            elif _closes(line, self._fence.marker):
                self._fence = None
                self._commit(self._scanned, ops)
        self._show_tail(ops)
        return ops

    def _commit(self, end: int, ops: list[Op]) -> None:
        block = self.text[self._done_upto : end]
        self._done_upto = end
        if block.strip():
            rendered = render_block(block)
            self._blocks.append(block)
            self.done_html.append(rendered)
            ops.append(AppendDone(rendered))

    def _bound_tail(self, ops: list[Op]) -> None:
        if self._fence is not None or len(self.text) - self._done_upto <= TAIL_LIMIT:
            return
        tail = self.text[self._done_upto : self._scanned]
        cut = tail.rfind("\n")
        if cut <= 0:
            tail = self.text[self._done_upto :]
            cut = tail.rfind(" ", 0, len(tail) - 1)
        if cut > 0:
            self._split_mid_block = True
            self._commit(self._done_upto + cut + 1, ops)

    def _show_tail(self, ops: list[Op]) -> None:
        self._bound_tail(ops)
        fence = self._fence
        if fence is not None:
            shown_to = _hold_back(self.text, self._scanned, fence.marker[0])
            if self._code_shown < 0:
                code = self.text[fence.body_start : shown_to]
                self._replace_tail(code_block(code, fence.language, highlighted=False), ops)
                self._code_shown = shown_to
            elif shown_to > self._code_shown:
                ops.append(AppendCode(self.text[self._code_shown : shown_to]))
                self._code_shown = shown_to
            return
        # A last line that may be opening a fence is held back until it ends.
        shown_to = _hold_back(self.text, self._scanned, "`~")
        tail = self.text[self._done_upto : shown_to]
        self._replace_tail(render_block(tail, streaming=True) if tail.strip() else "", ops)

    def _replace_tail(self, rendered: str, ops: list[Op]) -> None:
        if rendered != self.tail_html:
            self.tail_html = rendered
            ops.append(ReplaceTail(rendered))


def _closes(line: str, marker: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and stripped.startswith(marker)
        and set(stripped) == {marker[0]}
    )


def _hold_back(text: str, line_start: int, fence_chars: str) -> int:
    """Where the shown text ends: before an unfinished last line that starts like a fence
    (shown once it ends, so a fence never flashes by as a paragraph of backticks)."""
    partial = text[line_start:]
    if partial[:4].lstrip(" ")[:1] in tuple(fence_chars):
        return line_start
    return len(text)


def code_css() -> str:
    """The highlighting styles (static/css/code.css is this text; a test keeps them equal).

    Two Pygments styles chosen for contrast (WCAG AA on our code backgrounds):
    ``xcode`` in the light theme, ``one-dark`` in the dark one.
    """
    light = HtmlFormatter(style="xcode").get_style_defs(".code-block pre")
    dark = HtmlFormatter(style="one-dark").get_style_defs(":root[data-theme=dark] .code-block pre")
    dark_auto = HtmlFormatter(style="one-dark").get_style_defs(
        ":root:not([data-theme=light]) .code-block pre"
    )
    return (
        "/* Generated by chatui.markdown.code_css(); do not edit by hand. */\n"
        f"{_without_backgrounds(light)}\n"
        f"{_without_backgrounds(dark)}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"{_without_backgrounds(dark_auto)}\n"
        "}\n"
    )


def _without_backgrounds(css: str) -> str:
    # Only the token rules under our selector, and without backgrounds: the code
    # block's background is ours (static/css/components.css).
    lines = [
        line
        for line in css.splitlines()
        if ".code-block pre ." in line and "background" not in line and "linenos" not in line
    ]
    return "\n".join(lines)
