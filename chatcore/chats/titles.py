"""Chat titles: the automatic one from the first message, and what a rename accepts.

The automatic title costs no provider call: it is the first line of the user's
first message with markdown markers and extra spaces removed, cut at a word
boundary. A provider-written title could replace it later; none is asked for.
"""

from __future__ import annotations

import re

__all__ = ["AUTO_TITLE_CHARS", "MAX_TITLE_CHARS", "TitleRefused", "auto_title", "clean_title"]

MAX_TITLE_CHARS = 200  # Chat.title's max_length
AUTO_TITLE_CHARS = 60

# Leading markdown that says nothing about the topic: headings, quotes, list bullets.
_LEADING_MARKS = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)+")
# Emphasis and code markers around words.
_INLINE_MARKS = re.compile(r"[*_`~]+")
_SPACES = re.compile(r"\s+")
# Control characters (newlines included) never belong in a one-line title.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TitleRefused(ValueError):
    """A rename that is not stored: ``reason`` says why, in words a user reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def auto_title(message: str) -> str:
    """The title a chat gets from its first user message ("" when it has no words)."""
    for line in message.splitlines():
        line = _INLINE_MARKS.sub("", _LEADING_MARKS.sub("", line.strip()))
        line = _one_line(line)
        if line:
            break
    else:
        return ""
    if len(line) <= AUTO_TITLE_CHARS:
        return line
    cut = line[: AUTO_TITLE_CHARS - 1]
    # Cut at the last space when one is not too far back, so no word is split.
    space = cut.rfind(" ")
    if space >= AUTO_TITLE_CHARS // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def clean_title(value: object) -> str:
    """A title a user typed, on one line and trimmed, or ``TitleRefused``."""
    if not isinstance(value, str):
        raise TitleRefused("The title must be text.")
    if "\x00" in value:
        raise TitleRefused("The title must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise TitleRefused("The title must be valid text.") from None
    title = _one_line(value)
    if not title:
        raise TitleRefused("The title must not be empty.")
    if len(title) > MAX_TITLE_CHARS:
        raise TitleRefused(f"The title must be at most {MAX_TITLE_CHARS} characters.")
    return title
