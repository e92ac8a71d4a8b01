"""Signal extraction from text and codes: which phrases occur, and which status code."""

from __future__ import annotations

import re

from chatcore.errors.patterns import CODE_SIGNALS

__all__ = ["code_signals", "normalize_code", "status_from_text"]


def normalize_code(code: str) -> str:
    """`com.amazon#ThrottlingException:http://…` → `throttlingexception`."""
    value = code.strip().lower()
    value = value.rpartition("#")[2]
    return value.partition(":")[0].strip()


def code_signals(codes: list[str]) -> set[str]:
    """The signals of machine-readable codes (error types, gRPC statuses, class names)."""
    found: set[str] = set()
    for code in codes:
        found.update(CODE_SIGNALS.get(normalize_code(code), ()))
    return found


# "status 503", "status code: 429", "status_code=500", "HTTP 502", "HTTP/1.1 503",
# and the Python SDKs' "Error code: 529".
_LABELLED = re.compile(
    r"(?<![a-z])(?:status(?:[ _]?code)?|http(?:/\d(?:\.\d)?)?|error code)\s*[:=]?\s*(\d{3})(?!\d)"
)
# The statuses that mean something to the rules, standing alone: not part of a
# longer number, a decimal, an identifier, a path or a `host:port`.
_STANDALONE = re.compile(r"(?<![\w.:/\-$#])(?:401|403|408|429|500|502|503|504|529)(?![\w]|\.\d)")
# A number that is an HTTP/2 stream id or a quantity is not a status.
_NOT_BEFORE = re.compile(r"(?:stream[ _]id|limit|used|requested|max(?:imum)?)\W{0,3}$")
_NOT_AFTER = re.compile(
    r"\s*(?:tokens?|ms|milliseconds?|seconds?|secs?|s\b|bytes?|kb|mb|requests?|characters?"
    r"|chars|%|rpm|tpm|per\b)"
)


def status_from_text(text: str) -> int:
    """The HTTP status a lower-cased text states, or 0."""
    for labelled in _LABELLED.finditer(text):
        code = int(labelled.group(1))
        if 400 <= code <= 599:  # "status 200" in an error text is not the failure's status
            return code
    for found in _STANDALONE.finditer(text):
        start, end = found.span()
        if _NOT_BEFORE.search(text, max(0, start - 12), start):
            continue
        if _NOT_AFTER.match(text, end):
            continue
        return int(found.group())
    return 0
