"""What a failure signals: phrases and statuses in its text, and its exception classes.

Phrases: one alternation of ~100 patterns, run with `finditer`, costs ~10x a
single `search`. Instead every pattern is anchored at a word start and indexed
by the keys its row declares (the first up-to-four letters of each word it can
begin with). A scan finds the words that begin with a key in one regex pass (a
trie of the keys: most words begin with none) and tries, at each, only the
patterns of that key (an anchored `match`, one per signal, which fails at once
in the usual case).

Transport failures are recognised by class, without importing the libraries:
httpx, httpx2 (the SDKs' client), httpcore, httpcore2, h2, anyio, aiohttp (the
SDKs' optional transport) and the `openai` / `anthropic` SDKs are matched by
module root and class name along the MRO, so the classifier works whether or not
each library is installed.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import lru_cache

from chatcore.errors._codes import code_signals
from chatcore.errors._exceptions import DeadlineExceeded, ProviderTransportReset
from chatcore.errors._extract import safe_getattr
from chatcore.errors._patterns import PATTERNS, PROVIDER_PATTERNS, Phrase

__all__ = [
    "ROWS",
    "Row",
    "Transport",
    "first_provider",
    "h2_reset_retryable",
    "provider_in",
    "redundant_code",
    "scan",
    "status_from_text",
    "transport_of",
]

_KEY_LENGTH = 4


@dataclass(frozen=True, slots=True)
class Row:
    """One pattern: the signal it gives, its word-anchored regex, its index keys."""

    signal: str
    regex: re.Pattern[str]
    keys: frozenset[str]


def _row(signal: str, phrase: Phrase) -> Row:
    return Row(signal, re.compile(rf"(?<![a-z])(?:{phrase.pattern})"), frozenset(phrase.keys))


# A provider row signals "provider:<id>", apart from the phrase signals.
ROWS: tuple[Row, ...] = tuple(
    [_row(p.signal, p) for p in PATTERNS]
    + [_row(f"provider:{p.signal}", p) for p in PROVIDER_PATTERNS]
)


def _index(rows: tuple[Row, ...]) -> dict[str, tuple[Row, ...]]:
    """Each key to the rows that declare it, one per signal (in table order).

    Rows of one signal under one key become one alternation: the scan only asks
    whether the signal matches at a word, and one regex call answers that.
    """
    by_key: dict[str, dict[str, list[Row]]] = {}
    for row in rows:
        for key in row.keys:
            by_key.setdefault(key, {}).setdefault(row.signal, []).append(row)
    return {
        key: tuple(_merged(same) for same in signals.values()) for key, signals in by_key.items()
    }


def _merged(rows: list[Row]) -> Row:
    if len(rows) == 1:
        return rows[0]
    pattern = "|".join(row.regex.pattern for row in rows)
    return Row(rows[0].signal, re.compile(pattern), frozenset().union(*(r.keys for r in rows)))


def _trie(keys: list[str]) -> str:
    """One regex alternation of ``keys`` shaped as a trie (a branch per first letter)."""
    branches: dict[str, list[str]] = {}
    for key in keys:
        branches.setdefault(key[0], []).append(key[1:])
    parts = []
    for letter, rests in sorted(branches.items()):
        ends = "" in rests
        longer = [rest for rest in rests if rest]
        tail = _trie(longer) if longer else ""
        parts.append(letter + (f"(?:{tail})?" if ends and tail else tail))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _candidates(index: dict[str, tuple[Row, ...]]) -> re.Pattern[str]:
    """The words that begin with a key: four letters, or a shorter key that is a whole word.

    It needs a non-letter before the word, so the scanned text starts with one.
    """
    full = [key for key in index if len(key) == _KEY_LENGTH]
    short = [key for key in index if len(key) < _KEY_LENGTH]
    words = [_trie(full)] if full else []
    if short:
        words.append(rf"{_trie(short)}(?![a-z])")
    return re.compile(rf"[^a-z]({'|'.join(words)})")


# Phrases and provider names are indexed apart: a provider is looked for in the
# text only when neither the caller nor the error itself names one.
_INDEX = _index(ROWS[: len(PATTERNS)])
_PROVIDER_INDEX = _index(ROWS[len(PATTERNS) :])
_CANDIDATES = _candidates(_INDEX)
_PROVIDER_CANDIDATES = _candidates(_PROVIDER_INDEX)
_PROVIDERS: tuple[tuple[str, str], ...] = tuple(
    (f"provider:{p.signal}", p.signal) for p in PROVIDER_PATTERNS
)


def scan(text: str, *, providers: bool = False) -> set[str]:
    """The phrase signals a lower-cased text carries, each pattern matched at a word start.

    With ``providers`` it looks for provider names instead ("provider:<id>" signals).
    """
    found: set[str] = set()
    index, candidates = (
        (_PROVIDER_INDEX, _PROVIDER_CANDIDATES) if providers else (_INDEX, _CANDIDATES)
    )
    if not text.startswith("\n"):
        text = "\n" + text  # a non-letter before the first word
    for word in candidates.finditer(text):
        start = word.start(1)
        for row in index[word.group(1)]:
            if row.signal not in found and row.regex.match(text, start):
                found.add(row.signal)
    return found


@lru_cache(maxsize=1024)
def redundant_code(code: str) -> bool:
    """Whether a machine code's words signal nothing beyond what the code table gives it.

    Such a code (``rate_limit_exceeded``, ``server_error``) need not be scanned as
    text; an unknown one (``quota_exhausted_for_today``) still is.
    """
    known = set(code_signals([code]))
    return bool(known) and scan(code.lower()) <= known


def first_provider(signals: set[str]) -> str:
    """The provider a set of scanned signals names, in priority order; empty if none."""
    for signal, provider in _PROVIDERS:
        if signal in signals:
            return provider
    return ""


def provider_in(text: str) -> str:
    """The provider a lower-cased text names, first match in priority order; empty if none."""
    return first_provider(scan(text, providers=True)) if text else ""


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


class Transport(StrEnum):
    """What a single exception says about the transport."""

    RETRYABLE = "retryable"  # the provider's side dropped, timed out or refused
    BAD_RESET = "bad_reset"  # HTTP/2 reset with a code that means a protocol bug
    DEADLINE = "deadline"  # our own deadline: not retryable
    BUILTIN_TIMEOUT = "builtin_timeout"  # a bare TimeoutError: ours unless a library timed out
    CANCELED = "canceled"
    PROVIDER_RESET = "provider_reset"


_HTTP_LIBS = frozenset({"httpx", "httpx2", "httpcore", "httpcore2", "openai", "anthropic"})
_RETRYABLE_HTTP_CLASSES = frozenset(
    {
        "TimeoutException",
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "NetworkError",
        "ConnectError",
        "ReadError",
        "WriteError",
        "CloseError",
        "RemoteProtocolError",
        "APIConnectionError",
        "APITimeoutError",
    }
)
_RETRYABLE_OTHER: dict[str, frozenset[str]] = {
    "anyio": frozenset({"EndOfStream", "BrokenResourceError"}),
    # aiohttp's connection errors cover refused, reset, server disconnected and its
    # socket/connect timeouts (which also subclass the builtin TimeoutError: matched
    # first, a library timeout is the provider's, not our deadline); a payload
    # error is a body cut short (truncated chunked or length-delimited stream).
    "aiohttp": frozenset({"ClientConnectionError", "ClientPayloadError"}),
    "http": frozenset({"IncompleteRead", "RemoteDisconnected"}),
    "ssl": frozenset({"SSLEOFError"}),
}
_RETRYABLE_BUILTINS: tuple[type[BaseException], ...] = (
    ConnectionResetError,
    ConnectionAbortedError,
    ConnectionRefusedError,
    BrokenPipeError,
    EOFError,
)

# RFC 9113 §7 error codes. A reset with one of the retryable codes is the peer
# shedding load or restarting; any other code means one side spoke HTTP/2 wrong,
# and sending the same request again would fail the same way.
_H2_CODES: dict[str, int] = {
    "no_error": 0,
    "protocol_error": 1,
    "internal_error": 2,
    "flow_control_error": 3,
    "settings_timeout": 4,
    "stream_closed": 5,
    "frame_size_error": 6,
    "refused_stream": 7,
    "cancel": 8,
    "compression_error": 9,
    "connect_error": 10,
    "enhance_your_calm": 11,
    "inadequate_security": 12,
    "http_1_1_required": 13,
}
_H2_RETRYABLE = frozenset({0, 2, 7, 8, 11})
_CODE_TOKEN = re.compile(r"(?:errorcodes\.)?([a-z_0-9]+)")


def h2_reset_retryable(code: object) -> bool:
    """Whether an HTTP/2 RST_STREAM code (number, enum or name) is worth retrying."""
    if isinstance(code, Enum):
        code = code.value
    if isinstance(code, int):
        return code in _H2_RETRYABLE
    token = _CODE_TOKEN.fullmatch(str(code).strip().lower())
    if token is None:
        return False
    name = token.group(1)
    number = int(name) if name.isdigit() else _H2_CODES.get(name, -1)
    return number in _H2_RETRYABLE


def transport_of(exc: BaseException) -> Transport | None:
    """The transport fact one exception carries, or None."""
    args = exc.args
    # httpcore passes the h2 event itself; the usual argument is a message string.
    if args and (len(args) > 1 or type(args[0]) is not str):
        reset = _h2_event_in_args(exc)
        if reset is not None:
            return reset
    klass = type(exc)
    try:
        return _BY_CLASS[klass]
    except KeyError:
        fact = _BY_CLASS[klass] = _transport_of_class(klass)
        return fact


# What a class says is fixed: computed once per exception class (a few dozen in a
# process), not per classification.
_BY_CLASS: dict[type[BaseException], Transport | None] = {}


def _transport_of_class(klass: type[BaseException]) -> Transport | None:
    if issubclass(klass, asyncio.CancelledError):
        return Transport.CANCELED
    if issubclass(klass, ProviderTransportReset):
        return Transport.PROVIDER_RESET
    if issubclass(klass, DeadlineExceeded):
        return Transport.DEADLINE
    for base in klass.__mro__:
        root = base.__module__.partition(".")[0]
        if root in _HTTP_LIBS:
            if base.__name__ in _RETRYABLE_HTTP_CLASSES:
                return Transport.RETRYABLE
        elif base.__name__ in _RETRYABLE_OTHER.get(root, ()):
            return Transport.RETRYABLE
    if issubclass(klass, _RETRYABLE_BUILTINS):
        return Transport.RETRYABLE
    if issubclass(klass, TimeoutError):
        return Transport.BUILTIN_TIMEOUT
    return None


def _h2_event_in_args(exc: BaseException) -> Transport | None:
    # httpcore raises RemoteProtocolError(event) with the h2 event object itself.
    for arg in exc.args[:2]:
        klass = type(arg)
        if klass is str or klass.__module__.partition(".")[0] != "h2":
            continue
        if klass.__name__ == "StreamReset":
            code = safe_getattr(arg, "error_code")
            return Transport.RETRYABLE if h2_reset_retryable(code) else Transport.BAD_RESET
        if klass.__name__ == "ConnectionTerminated":  # GOAWAY
            return Transport.RETRYABLE
    return None
