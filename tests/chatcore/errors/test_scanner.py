"""The phrase index: declared keys agree with the patterns, and the indexed scan
finds exactly what searching every pattern everywhere finds.

This file tests internals on purpose (the scanner is private): it is one of the
few listed in `test_package.INTERNAL_TESTS`.
"""

from __future__ import annotations

# The stdlib's regex parser, used here only to check the hand-written keys.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatcore.errors import PATTERNS
from chatcore.errors._patterns import PROVIDER_PATTERNS, Phrase
from chatcore.errors._signals import ROWS, scan
from tests.chatcore.errors.test_families import FAMILY_ROWS
from tests.chatcore.errors.test_rules import ALL_ROWS

KEY_LENGTH = 4
LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
PHRASES: list[Phrase] = [*PATTERNS, *PROVIDER_PATTERNS]


def derived_keys(pattern: str) -> set[str]:
    """The first (up to four) letters of every word a pattern can begin with."""
    return _keys(list(sre_parser.parse(pattern)))


def _keys(items: list[Any], acc: str = "") -> set[str]:
    if len(acc) == KEY_LENGTH or not items:
        return _emit(acc)
    (op, arg), rest = items[0], items[1:]
    if op in (sre.ASSERT_NOT, sre.ASSERT, sre.AT):  # zero-width
        return _keys(rest, acc)
    if op is sre.LITERAL:
        return _letter(chr(arg), rest, acc)
    if op is sre.IN:
        found: set[str] = set()
        for member_op, member in arg:
            if member_op is sre.LITERAL:
                found |= _letter(chr(member), rest, acc)
            elif member_op is sre.RANGE:
                for code in range(member[0], member[1] + 1):
                    found |= _letter(chr(code), rest, acc)
            else:
                found |= _emit(acc)
        return found
    if op is sre.BRANCH:
        return set().union(*(_keys(list(alt) + rest, acc) for alt in arg[1]))
    if op is sre.SUBPATTERN:
        return _keys(list(arg[-1]) + rest, acc)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        low, _, body = arg
        # Up to four letters: one pass through the body, or none when optional,
        # is all the key can see (a longer repetition only extends the word).
        once = _keys(list(body) + rest, acc)
        return once | _keys(rest, acc) if low == 0 else once
    return _emit(acc)


def _letter(char: str, rest: list[Any], acc: str) -> set[str]:
    return _keys(rest, acc + char) if char in LETTERS else _emit(acc)


def _emit(acc: str) -> set[str]:
    # A pattern that can begin with something other than a letter cannot be indexed.
    assert acc, "every pattern must start with a letter"
    return {acc}


def reference(text: str) -> set[str]:
    """Every pattern searched over the whole text: slow, obviously complete."""
    return {row.signal for row in ROWS if row.regex.search(text)}


def scan_all(text: str) -> set[str]:
    """The phrase scan and the provider scan together (they are indexed apart)."""
    return scan(text) | scan(text, providers=True)


@pytest.mark.parametrize(
    "phrase", PHRASES, ids=[f"{i:02}-{p.signal}-{p.keys[0]}" for i, p in enumerate(PHRASES)]
)
def test_declared_keys_are_the_words_the_pattern_can_begin_with(phrase: Phrase) -> None:
    assert len(set(phrase.keys)) == len(phrase.keys), "a key is declared twice"
    assert set(phrase.keys) == derived_keys(phrase.pattern)


@pytest.mark.parametrize(
    ("pattern", "keys"),
    [("rate", {"rate"}), ("ab", {"ab"}), ("(?:do|does) not", {"do", "does"}),
     ("don't", {"don"}), ("per[ _-]?day", {"per", "perd"}), ("unauthori[sz]ed", {"unau"}),
     ("(?<![a-z])(?:api )?usage", {"api", "usag"})],
    ids=["four", "short", "branch", "apostrophe", "optional_separator", "class_late", "lookbehind"],
)  # fmt: skip
def test_the_key_derivation_itself(pattern: str, keys: set[str]) -> None:
    assert derived_keys(pattern) == keys


def test_the_index_uses_the_declared_keys() -> None:
    assert len(ROWS) == len(PHRASES)
    for row, phrase in zip(ROWS, PHRASES, strict=True):
        assert row.keys == frozenset(phrase.keys)
        assert row.regex.pattern.endswith(f"(?:{phrase.pattern})")


def test_every_pattern_is_indexed() -> None:
    assert len(ROWS) >= len(PATTERNS)
    assert all(row.keys for row in ROWS)
    assert all(1 <= len(key) <= 4 and key.isalpha() for row in ROWS for key in row.keys)


def test_scan_equals_reference_on_the_rule_tables() -> None:
    for _, error, *_ in [*ALL_ROWS, *FAMILY_ROWS]:
        text = str(error).lower()
        assert scan_all(text) == reference(text), text


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
     "http2: client conn", "context canceled", "can be retried", "x509: ", "nghttp2_cancel",
     "inputs` tokens + `max_new_tokens` must be", "connection broken", "chunk length",
     " ", "3", ".", ":", "\n", "é", "A"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_scan_equals_reference_on_glued_vocabulary(text: str) -> None:
    lowered = text.lower()
    assert scan_all(lowered) == reference(lowered)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_scan_equals_reference_on_any_text(text: str) -> None:
    lowered = text.lower()
    assert scan_all(lowered) == reference(lowered)
