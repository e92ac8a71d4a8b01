"""The indexed scan finds exactly what searching every pattern everywhere finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chatcore.errors.patterns import PATTERNS
from chatcore.errors.scanner import ROWS, scan
from tests.chatcore.errors.test_rules import ALL_ROWS


def reference(text: str) -> set[str]:
    """Every pattern searched over the whole text: slow, obviously complete."""
    return {row.signal for row in ROWS if row.regex.search(text)}


def test_every_pattern_is_indexed() -> None:
    assert len(ROWS) >= len(PATTERNS)
    assert all(row.keys for row in ROWS)
    assert all(1 <= len(key) <= 4 and key.isalpha() for row in ROWS for key in row.keys)


def test_scan_equals_reference_on_the_rule_table() -> None:
    for _, error, *_ in ALL_ROWS:
        text = str(error).lower()
        assert scan(text) == reference(text), text


# Fragments of the patterns' own vocabulary, glued together in random ways, so
# that matches start at word starts, inside words, after digits and underscores.
FRAGMENTS = st.sampled_from(
    ["rate", "limit", "rate_limit", "ratelimit", "overload", "overloaded_error", "quota", "quotas",
     "insufficient", "billing", "unauthorized", "forbidden", "timeout", "timed out", "eof", "model",
     "models/x", "not found", "does not exist", "context length", "prompt is too long", "safety",
     "blocked due to safety", "stream error: stream id 3; cancel", "previous response with id",
     "provider_disabled", "openai", "azure openai", "claude", "gemini", "vertex", "bedrock",
     "per day", "perday", "limit: 0", "tokens per min", "no tool output found for function call",
     "chat interrupted", "content_filter", "server error", "api key", "invalid", "x", "_", "-",
     " ", "3", ".", ":", "\n", "é", "A"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_scan_equals_reference_on_glued_vocabulary(text: str) -> None:
    lowered = text.lower()
    assert scan(lowered) == reference(lowered)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_scan_equals_reference_on_any_text(text: str) -> None:
    lowered = text.lower()
    assert scan(lowered) == reference(lowered)
