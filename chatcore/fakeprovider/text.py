"""The fake provider's deterministic answers: which text N tokens produce, and how text is cut."""

from __future__ import annotations

import re

__all__ = [
    "DEMO_ANSWER",
    "DEMO_TOKENS",
    "ECHO_SHOWCASE",
    "STAMPED_TOKEN",
    "markdown_stamp_token",
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

DEMO_ANSWER = """\
Hello! This answer comes from the **built-in fake provider**, so no API key is \
needed and nothing leaves this machine. It streams a word at a time, like a real \
model, so you can watch how the chat behaves when a provider is *slow*, *busy* or \
briefly unavailable.

Things to try:

1. Send a message to `demo-flaky`: a rate limit, a countdown, then the answer.
2. Press **Stop** halfway through an answer: what was written is kept.
3. Regenerate an answer, then page through its versions.

A small example, highlighted, with a Copy button:

```python
def backoff(attempt: int, retry_after: float = 0.0) -> float:
    \"\"\"Seconds to wait before retrying: never earlier than the provider asked.\"\"\"
    return max(min(2 ** (attempt - 1), 60), retry_after)
```

| model | what you see |
|---|---|
| `demo-overloaded` | "Service overloaded" twice, then the answer |
| `demo-truncated` | a cut stream, rolled back, then the answer once |
| `demo-outage` | down for everyone for 15 s: open three chats, one shared countdown |

Have a pleasant day.
"""
"""The demo scenarios' answer: markdown with a list, a table and a code block."""

ECHO_SHOWCASE = """

---

That was your message. Answers are rendered as **markdown**: lists, tables, \
~~strikethrough~~, links such as https://example.com, and code:

```python
def echo(message: str) -> str:
    \"\"\"The demo's answer: your own words.\"\"\"
    return message
```
"""
"""What ``demo-echo`` adds after your own message, so the demo shows rendered markdown."""

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


# What comes before stamped token i (by i % 40) in a markdown answer: a heading,
# inline code, a list, a fenced code block, a table and a quote, over and over;
# every token is still exactly one stamp, so the answer checks token by token.
_MARKDOWN_BEFORE: dict[int, str] = {
    0: "\n\n## Part ",
    1: "\n\n",
    5: "`",
    6: "` and ",
    12: "\n\n- ",
    13: "\n- ",
    14: "\n- ",
    15: "\n\n",
    20: "\n\n```python\n",
    **{step: "\n" for step in range(21, 27)},
    27: "\n```\n\n",
    30: "\n\n| a | b |\n|---|---|\n| ",
    31: " | ",
    32: " |\n| ",
    33: " | ",
    34: " |\n\n",
    36: "\n\n> ",
    37: "\n\n",
}


def markdown_stamp_token(index: int, sent_at: float) -> str:
    """Token ``index`` of a ``stamp`` + ``markdown`` outcome: ``stamp_token`` after the
    markdown that puts it in a heading, code, a list, a table or a quote."""
    before = _MARKDOWN_BEFORE.get(index % 40, "") if index else ""
    return before + stamp_token(index, sent_at)
