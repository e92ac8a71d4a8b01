"""Answers rendered as markdown (chatui.markdown): safe by construction, and the same
while streaming as once persisted."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatui.gallery.dom import parse_html, select, text_of
from chatui.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    TAIL_LIMIT,
    AppendCode,
    AppendDone,
    ReplaceTail,
    StreamRenderer,
    code_css,
    render_markdown,
    sanitize,
)

ROOT = Path(__file__).resolve().parents[2]


def _html(text: str) -> str:
    return str(render_markdown(text))


def _tags(markup: str) -> list[str]:
    return [node.tag for node in parse_html(markup).elements()]


# -- the table: input → what the page gets --------------------------------------------------

CASES = [
    pytest.param("# Title\n\n## Sub", ["h1", "h2"], "Title Sub", id="headings"),
    pytest.param(
        "- a\n  - nested\n- b\n\n1. one\n2. two",
        ["ul", "li", "ul", "li", "li", "ol", "li", "li"],
        "a nested b one two",
        id="nested_and_ordered_lists",
    ),
    pytest.param(
        "| a | b |\n|:--|--:|\n| 1 | 2 |",
        ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"],
        "a b 1 2",
        id="gfm_table",
    ),
    pytest.param("~~gone~~ **bold** *it*", ["p", "s", "strong", "em"], "gone bold it", id="inline"),
    pytest.param("- [x] done\n- [ ] todo", ["ul", "li", "input", "li", "input"], "done todo", id="task_list"),
    pytest.param("> quoted", ["blockquote", "p"], "quoted", id="blockquote"),
    pytest.param("`x = 1`", ["p", "code"], "x = 1", id="inline_code"),
    pytest.param("<script>alert(1)</script>", ["p"], "<script>alert(1)</script>", id="script_is_text"),
    pytest.param('<img src=x onerror="alert(1)">', ["p"], '<img src=x onerror="alert(1)">', id="img_html_is_text"),
    pytest.param("<b>bold</b>", ["p"], "<b>bold</b>", id="raw_html_is_text"),
    pytest.param("[x](javascript:alert(1))", ["p"], "[x](javascript:alert(1))", id="javascript_link_is_text"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD4=)", ["p"], "[x](data:text/html;base64,PHNjcmlwdD4=)", id="data_link_is_text"),
    pytest.param("[x](/admin/)", ["p"], "[x](/admin/)", id="relative_link_is_text"),
    pytest.param("[x](vbscript:msgbox)", ["p"], "[x](vbscript:msgbox)", id="vbscript_link_is_text"),
    pytest.param("![cat](https://example.com/cat.png)", ["p", "a"], "cat", id="image_is_a_link_never_fetched"),
    pytest.param("![x](javascript:alert(1))", ["p"], "![x](javascript:alert(1))", id="image_with_bad_scheme_is_text"),
    pytest.param("see https://example.com/x now", ["p", "a"], "see https://example.com/x now", id="autolink"),
    pytest.param("[mail](mailto:a@example.com)", ["p", "a"], "mail", id="mailto_link"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tags", "visible"), CASES)
def test_markdown_becomes_safe_html(text: str, tags: list[str], visible: str) -> None:
    markup = _html(text)
    assert _tags(markup) == tags
    assert text_of(parse_html(markup)) == visible


@pytest.mark.parametrize(
    "href",
    ["https://example.com/x", "http://example.com/", "mailto:a@example.com"],
)
def test_links_are_nofollow_and_open_nothing_they_should_not(href: str) -> None:
    (link,) = select(parse_html(_html(f"[go]({href})")), "a")
    assert link.attrs["href"] == href
    assert link.attrs["rel"] == "noopener noreferrer nofollow"


def test_an_image_is_a_link_to_it_not_an_image() -> None:
    root = parse_html(_html("![chart](https://example.com/c.png)"))
    assert not select(root, "img")
    (link,) = select(root, "a")
    assert link.attrs["href"] == "https://example.com/c.png"


def test_table_alignment_is_a_class_not_a_style() -> None:
    markup = _html("| l | c | r |\n|:-|:-:|-:|\n| 1 | 2 | 3 |")
    assert "style" not in markup
    classes = [node.attrs.get("class") for node in select(parse_html(markup), "td")]
    assert classes == ["align-left", "align-center", "align-right"]


@pytest.mark.parametrize(
    ("fence", "language", "highlighted"),
    [
        pytest.param("```python\ndef f():\n    return 1\n```", "python", True, id="labelled"),
        pytest.param("```\ndef f():\n    return 1\n```", "", False, id="unlabelled_not_guessed"),
        pytest.param("```nosuchlang\nx\n```", "nosuchlang", False, id="unknown_language"),
        pytest.param("    indented code", "", False, id="indented_block"),
        pytest.param('```"><script>\nx\n```', "", False, id="hostile_info_string"),
    ],
)
def test_code_blocks_have_a_copy_button_and_highlight_only_a_named_language(
    fence: str, language: str, highlighted: bool
) -> None:
    root = parse_html(_html(fence))
    (block,) = select(root, "[data-code-block]")
    (code,) = select(block, "pre > code")
    assert select(block, "button[data-copy]")
    assert bool(select(code, "span")) is highlighted
    assert code.attrs.get("class", "") == (f"language-{language}" if language else "")
    assert not select(root, "script")


def test_code_text_is_escaped_and_kept_exactly() -> None:
    source = 'print("<b>&amp;</b>")\n    if a < b:\n\tpass'
    root = parse_html(_html(f"```python\n{source}\n```"))
    (code,) = select(root, "pre > code")
    assert "".join(_texts(code)).rstrip("\n") == source


def _texts(node: object) -> list[str]:
    children = getattr(node, "children", [])
    return [c if isinstance(c, str) else "".join(_texts(c)) for c in children]


def test_a_ten_thousand_line_code_block() -> None:
    source = "\n".join(f"x_{i} = {i}  # line {i}" for i in range(10_000))
    root = parse_html(_html(f"```python\n{source}\n```"))
    (code,) = select(root, "pre > code")
    assert "".join(_texts(code)).count("\n") >= 9_999


def test_a_megabyte_answer() -> None:
    text = ("A paragraph with **bold**, `code` and https://example.com/x.\n\n" * 17_000)[:1_000_000]
    markup = _html(text)
    assert markup.count("<p>") > 15_000
    assert "<script" not in markup


def test_persisted_answers_are_rendered_once() -> None:
    text = "# Cached\n\nOnce *only*."
    first = render_markdown(text)
    assert render_markdown(text) is first


# -- the allow-list wall ------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[tuple[str, str | None]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.add((tag, None))
        self.found.update((tag, name) for name, _ in attrs)


def _outside_allow_list(markup: str) -> set[tuple[str, str | None]]:
    collector = _Collector()
    collector.feed(markup)
    allowed = {(tag, None) for tag in ALLOWED_TAGS} | {
        (tag, name) for tag, names in ALLOWED_ATTRIBUTES.items() for name in names
    }
    # The link wall adds these itself.
    allowed |= {("a", "rel")}
    return collector.found - allowed


_MARKDOWN_BITS = st.sampled_from(
    ["*", "**", "_", "`", "```", "~~", "[", "](", ")", "!", "<", ">", "<script>", "</p>",
     "<img src=x onerror=alert(1)>", "javascript:", "data:", "http://a.b/", "|", "-", "\n",
     "\n\n", "#", " ", "&", "&amp;", '"', "'", "    ", "1.", "- [ ]", "<a href=x>", "\x00"]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(st.one_of(_MARKDOWN_BITS, st.text(max_size=8)), max_size=40).map("".join))
def test_no_element_or_attribute_outside_the_allow_list(text: str) -> None:
    assert _outside_allow_list(_html(text)) == set()
    stream = StreamRenderer()
    for piece in (text[i : i + 7] for i in range(0, len(text), 7)):
        for op in stream.feed(piece):
            if isinstance(op, AppendDone | ReplaceTail):
                assert _outside_allow_list(op.html) == set()


def test_the_sanitiser_drops_what_markdown_never_makes() -> None:
    assert sanitize('<a href="javascript:x" onclick="y">a</a><iframe src=x></iframe>') == (
        '<a rel="noopener noreferrer nofollow">a</a>'
    )


# -- streaming ---------------------------------------------------------------------------


def _stream(pieces: list[str]) -> tuple[StreamRenderer, list[object]]:
    stream = StreamRenderer()
    ops: list[object] = []
    for piece in pieces:
        ops.extend(stream.feed(piece))
    return stream, ops


def _shown(stream: StreamRenderer) -> str:
    return text_of(parse_html("".join(stream.done_html) + stream.tail_html))


def test_complete_blocks_are_rendered_once_and_only_the_tail_again() -> None:
    _, ops = _stream(["Intro **bo", "ld** text.\n\n", "Second par", "agraph."])
    done = [op for op in ops if isinstance(op, AppendDone)]
    assert [text_of(parse_html(op.html)) for op in done] == ["Intro bold text."]
    tails = [op for op in ops if isinstance(op, ReplaceTail)]
    assert text_of(parse_html(tails[-1].html)) == "Second paragraph."


def test_an_open_fence_streams_as_escaped_code_then_is_highlighted_when_closed() -> None:
    stream, ops = _stream(["```python\n", "x = '<b>'\n", "y = 2\n", "```\n", "\nAfter."])
    appended = [op.text for op in ops if isinstance(op, AppendCode)]
    assert appended == ["x = '<b>'\n", "y = 2\n"], "open code is appended, not re-rendered"
    (block,) = [op for op in ops if isinstance(op, AppendDone)]
    assert 'class="language-python"' in block.html and "<span" in block.html
    assert stream.tail_html.startswith("<p>After.")


def test_an_unterminated_fence_or_table_renders_sensibly() -> None:
    stream, _ = _stream(["Look:\n\n```js\nconst a = 1;\n"])
    root = parse_html(stream.tail_html)
    assert select(root, "pre > code") and "const a = 1;" in text_of(root)
    stream, _ = _stream(["| a | b |\n|---|---|\n| 1 |"])
    assert select(parse_html(stream.tail_html), "table")


def test_a_line_that_may_open_a_fence_waits_for_its_end() -> None:
    stream, _ = _stream(["Text.\n\n``"])
    assert stream.tail_html == "", "no flash of backticks before the fence opens"
    stream.feed("`py")
    assert stream.tail_html == ""
    stream.feed("thon\nx\n")
    assert 'class="language-python"' in stream.tail_html


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_streamed_in_any_pieces_it_shows_the_same_text_as_rendered_whole(size: int) -> None:
    text = (
        "# Plan\n\nFirst **do** this:\n\n- one\n- two\n\n```python\nprint('hi')\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nDone: https://example.com"
    )
    stream, _ = _stream([text[i : i + size] for i in range(0, len(text), size)])
    assert _shown(stream) == text_of(parse_html(_html(text)))


def test_the_code_styles_file_is_the_generated_one() -> None:
    assert (ROOT / "static/css/code.css").read_text() == code_css()


def test_a_long_open_block_is_committed_so_a_frame_stays_cheap() -> None:
    words = [f"word{i}" for i in range(3000)]
    stream, ops = _stream([f"{word} " for word in words])
    assert all(len(op.html) < 4 * TAIL_LIMIT for op in ops if isinstance(op, ReplaceTail))
    assert any(isinstance(op, AppendDone) for op in ops), "parts of the paragraph committed"
    assert _shown(stream).split() == words, "every word once, in order"


# Lines of the block structures that can and cannot be rendered apart: paragraphs,
# tight and loose lists, indented lines (list continuations, indented code), fences
# (closed and not), tables, quotes, headings, thematic breaks, reference definitions.
_LINES = st.sampled_from(
    ["Some *text* here", "more text", "- item", "* other", "1. first", "2) second",
     "  continued", "    indented code", "\tTab", "```", "```python", "~~~", "    ```",
     "| a | b |", "|---|---|", "| 1 | 2 |", "> quoted", "# Title", "Setext", "---",
     "[ref]: https://example.com", "see [ref] and https://example.com", "  - nested",
     "> - quoted item", "   ```", "````", "- [ ] task", "text with `code`", "", "", ""]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINES, max_size=14).map("\n".join), st.integers(min_value=1, max_value=9))
def test_a_finished_stream_is_the_whole_render_or_says_it_is_not(text: str, size: int) -> None:
    stream = StreamRenderer()
    for piece in (text[i : i + size] for i in range(0, len(text), size)):
        stream.feed(piece)
    finished = stream.finish()
    if finished is not None:
        assert finished == str(render_markdown(text))


@pytest.mark.parametrize(
    ("text", "reusable"),
    [
        pytest.param("# Plan\n\nFirst this.\n\n- one\n- two\n\nThen that.\n", True, id="blocks"),
        pytest.param("Text\n\n```python\nprint(1)\n```\n\nMore.\n", True, id="closed_fence"),
        pytest.param("- one\n\n- two\n", False, id="loose_list_joins_across_the_blank"),
        pytest.param("- one\n\n  still one\n", False, id="list_continuation"),
        pytest.param("    code\n\n    more code\n", False, id="indented_code_joins"),
        pytest.param("See [x].\n\n[x]: https://example.com\n", False, id="reference_definition"),
        pytest.param("```\nunclosed\n\nstill code", False, id="open_fence"),
    ],
)
def test_finish_reuses_the_streamed_blocks_only_where_they_are_the_whole(
    text: str, reusable: bool
) -> None:
    stream = StreamRenderer()
    for piece in (text[i : i + 3] for i in range(0, len(text), 3)):
        stream.feed(piece)
    finished = stream.finish()
    assert (finished is not None) is reusable
    if finished is not None:
        assert finished == str(render_markdown(text))
