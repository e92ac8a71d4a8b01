"""What a chat page shows of a streaming answer, rebuilt from the socket's frames.

The consumer sends a streaming answer as markdown, block by block
(``chatui.live.render_delta``): complete blocks are appended to
``#provisional-done``, the open block replaces ``#provisional-tail``, and the
text of an open code fence is appended to the tail's ``<code>``. A transcript
(a snapshot, ``done``, a retry) starts the answer afresh from what it carries.
Tests read the answer as a user would: its visible text.
"""

from __future__ import annotations

from chatui.gallery.dom import Node, parse_html, select

__all__ = ["StreamedAnswer", "is_stream_frame"]

_APPEND_DONE = "beforeend:#provisional-done"
_APPEND_CODE = "beforeend:#provisional-tail code"


def _top(frame: str) -> list[Node]:
    return [child for child in parse_html(frame).children if isinstance(child, Node)]


def _is_op(node: Node) -> bool:
    swap = node.attrs.get("hx-swap-oob", "")
    return swap in (_APPEND_DONE, _APPEND_CODE) or (
        node.attrs.get("id") == "provisional-tail" and swap == "true"
    )


def is_stream_frame(frame: str) -> bool:
    """Whether a frame only carries streamed text (no transcript, callout or notice)."""
    nodes = _top(frame)
    return bool(nodes) and all(_is_op(node) for node in nodes)


def _raw(node: Node) -> str:
    return "".join(child if isinstance(child, str) else _raw(child) for child in node.children)


class StreamedAnswer:
    """The provisional answer of one page, as its frames built it."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.tail = ""

    def apply(self, frame: str) -> bool:
        """Apply one frame; True when it carried streamed text."""
        nodes = _top(frame)
        if any(
            select(node, "#transcript") or node.attrs.get("id") == "transcript" for node in nodes
        ):
            root = parse_html(frame)
            self.blocks = [_raw(node) for node in select(root, "#provisional-done")]
            self.tail = "".join(_raw(node) for node in select(root, "#provisional-tail"))
        streamed = False
        for node in nodes:
            swap = node.attrs.get("hx-swap-oob", "")
            if swap == _APPEND_DONE:
                self.blocks.append(_raw(node))
            elif swap == _APPEND_CODE:
                self.tail += _raw(node)
            elif node.attrs.get("id") == "provisional-tail" and swap == "true":
                self.tail = _raw(node)
            else:
                continue
            streamed = True
        return streamed

    @property
    def text(self) -> str:
        """The visible text, whitespace folded as a reader sees it."""
        return " ".join(" ".join([*self.blocks, self.tail]).split())
