"""A chat page's streamed answer as the benchmarks' websocket clients follow it.

The server sends a streaming answer as markdown, block by block
(``chatui.live.render_delta``): complete blocks appended, the open block
replaced, an open code fence's text appended. ``StreamedPage.apply`` does the
same with the text of each operation (tags stripped), as cheaply as a
benchmark client must: string splitting at the operations' fixed markers,
which never occur inside sanitised answer HTML.
"""

from __future__ import annotations

import html
import re

__all__ = ["StreamedPage", "text_of"]

_APPEND_DONE = '<div hx-swap-oob="beforeend:#provisional-done">'
_REPLACE_TAIL = (
    '<div id="provisional-tail" class="stream-tail" data-stream-tail hx-swap-oob="true">'
)
_APPEND_CODE = '<div hx-swap-oob="beforeend:#provisional-tail code">'
_OP = re.compile("|".join(re.escape(m) for m in (_APPEND_DONE, _REPLACE_TAIL, _APPEND_CODE)))
_TAG = re.compile(r"<[^>]*>")


def text_of(markup: str) -> str:
    """The text of some HTML: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


class StreamedPage:
    """The provisional answer of one page: its complete blocks and its open block (text)."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.tail = ""

    @property
    def text(self) -> str:
        return "".join(self.blocks) + self.tail

    def apply(self, frame: str) -> str | None:
        """Apply a frame of streaming operations; the text it carried, or None for any
        other frame (a transcript, a callout, a notice)."""
        starts = [match.start() for match in _OP.finditer(frame)]
        if not starts or starts[0] != 0:
            return None
        carried = []
        for start, end in zip(starts, [*starts[1:], len(frame)], strict=True):
            chunk = frame[start:end]
            opening = chunk[: chunk.index(">") + 1]
            text = text_of(chunk[len(opening) :])
            if opening == _APPEND_DONE:
                self.blocks.append(text)
            elif opening == _REPLACE_TAIL:
                self.tail = text
            else:
                self.tail += text
            carried.append(text)
        return "".join(carried)

    def reset(self, blocks: str = "", tail: str = "") -> None:
        """What a snapshot carries replaces the answer (a resync after a gap)."""
        self.blocks, self.tail = [blocks] if blocks else [], tail
