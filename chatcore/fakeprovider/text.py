"""The fake provider's deterministic answers: which text N tokens produce, and how text is cut."""

from __future__ import annotations

import re

__all__ = [
    "DEMO_TOKENS",
    "STAMPED_TOKEN",
    "split_tokens",
    "stamp_token",
    "token_text",
    "tokens_for",
]

# Tokens are words so a person watching the demo sees it stream; the paragraph
# explains itself, and repeats when more tokens are asked for.
_PARAGRAPH = (
    "Hello! This answer comes from the built-in fake provider, so no API key is needed "
    "and nothing leaves this machine. It streams one word at a time, just like a real "
    "model, which makes it easy to watch how the chat behaves when a provider is slow, "
    "busy or briefly unavailable. Try the other demo models to see each kind of failure "
    "handled calmly, and have a pleasant day."
)
_WORDS = tuple(_PARAGRAPH.split())
_SPACED = tuple(" " + word for word in _WORDS)

DEMO_TOKENS = len(_WORDS)
"""How many tokens the demo paragraph has: demo answers stream it exactly once."""

_TOKEN = re.compile(r"\s*\S+")

STAMPED_TOKEN = re.compile(r"t(\d+)@(\d+\.\d{6}) ")
"""A token of a ``stamp`` outcome: its 0-based index and its send time (Unix seconds)."""


def tokens_for(n: int) -> list[str]:
    """The first ``n`` tokens: words with their leading space, the very first without."""
    if n <= 0:
        return []
    whole, rest = divmod(n, len(_WORDS))
    tokens = list(_SPACED) * whole + list(_SPACED[:rest])
    tokens[0] = _WORDS[0]
    return tokens


def token_text(n: int) -> str:
    """Exactly the text that an ``ok`` outcome with ``tokens=n`` streams."""
    return "".join(tokens_for(n))


def split_tokens(text: str) -> list[str]:
    """Cut explicit text into deltas such that ``"".join(split_tokens(text)) == text``."""
    tokens = _TOKEN.findall(text)
    consumed = sum(len(token) for token in tokens)
    if consumed < len(text):
        # Trailing whitespace (or text that is only whitespace) rides on the last delta.
        if tokens:
            tokens[-1] += text[consumed:]
        else:
            tokens = [text]
    return tokens


def stamp_token(index: int, sent_at: float) -> str:
    """Token ``index`` of a ``stamp`` outcome, sent at ``sent_at``: ``t17@1732483200.123456 ``."""
    return f"t{index}@{sent_at:.6f} "
