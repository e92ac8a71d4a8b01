"""SPEC §4 special cases, and the transport facts that are just as definitive.

They are checked before the rule table: each one already says everything about
the failure, whatever else its text happens to contain.
"""

from __future__ import annotations

import re

from chatcore.errors.evidence import Evidence
from chatcore.errors.kinds import ErrorKind
from chatcore.errors.messages import (
    REASON_CANCELED,
    REASON_CHAIN_BROKEN,
    REASON_CONTINUITY,
    REASON_TRUNCATED,
)
from chatcore.errors.patterns import Signal
from chatcore.errors.transport import Transport, h2_reset_retryable
from chatcore.errors.verdict import Verdict

__all__ = ["fallback_detail", "special_case"]

# Fixed texts: the provider's own message names item ids, which must not leak.
_CONTINUITY_DETAILS = (
    (
        "no tool output found for function call",
        "OpenAI Responses continuity error: no tool output found for function call.",
    ),
    (
        "without its required",
        "OpenAI Responses continuity error: an item was provided without its required "
        "'reasoning' item.",
    ),
)
# The RST_STREAM code in Go's "stream error: stream ID 3; INTERNAL_ERROR" and in
# h2's "<StreamReset stream_id:1, error_code:ErrorCodes.CANCEL, remote_reset:True>".
_H2_CODE = re.compile(
    r"stream error: stream id \d+; ([a-z_0-9]+)"
    r"|streamreset stream_id:\d+, error_code:(?:errorcodes\.)?([a-z_0-9]+)"
    r"|rst_stream\W{0,30}?(?:code\W{0,3})?([a-z_]+_error|no_error|refused_stream|cancel"
    r"|enhance_your_calm|\d+)"
)
# Which adapter's stream a truncation message is about, when it names no provider.
_STREAM_MARKERS = (
    ("message_stop", "anthropic"),
    ("terminal event", "openai"),
    ("response.completed", "openai"),
    ("[done]", "openai"),
)


def special_case(found: Evidence, signals: set[str]) -> Verdict | None:
    """The verdict of a special case, or None to fall through to the rule table."""
    structured = found.structured_detail
    # A CancelledError below a library transport failure is anyio's leftover in
    # the __context__ of a read timeout, not a cancellation of the request.
    cancelled = (
        Transport.CANCELED in found.transports and Transport.RETRYABLE not in found.transports
    )
    if cancelled or Signal.CANCELED in signals:
        return Verdict(ErrorKind.GENERIC, False, structured, REASON_CANCELED)
    if Signal.CONTINUITY in signals:
        detail = next(
            (d for phrase, d in _CONTINUITY_DETAILS if phrase in found.text),
            _CONTINUITY_DETAILS[0][1],
        )
        return Verdict(
            ErrorKind.GENERIC, False, detail, REASON_CONTINUITY, default_provider="openai"
        )
    if Signal.TRUNCATED in signals:
        provider = next((p for marker, p in _STREAM_MARKERS if marker in found.text), "")
        return Verdict(
            ErrorKind.TIMEOUT, True, structured, REASON_TRUNCATED, default_provider=provider
        )
    if Signal.CHAIN_BROKEN in signals:
        return Verdict(
            ErrorKind.GENERIC,
            True,
            structured,
            REASON_CHAIN_BROKEN,
            chain_broken=True,
            default_provider="openai",
        )
    if Transport.PROVIDER_RESET in found.transports:
        return Verdict(ErrorKind.TIMEOUT, True, fallback_detail(found))
    reset = _h2_reset(found, signals)
    if reset is not None:
        # A reset the peer may send under load retries as a timeout; any other
        # code is a protocol bug that would fail the same way again.
        kind = ErrorKind.TIMEOUT if reset else ErrorKind.GENERIC
        return Verdict(kind, reset, fallback_detail(found))
    return None


def fallback_detail(found: Evidence) -> str:
    """The structured detail, else the raw error text folded; dropped when it has a URL.

    An HTML page (a proxy's error page) is dropped too: it is markup, not a message.
    """
    if found.structured_detail:
        return found.structured_detail
    raw = next((m for m in found.messages if m), "")
    if "://" in raw or raw.startswith("<"):  # a URL, or an HTML error page
        return ""
    return " ".join(raw.split())


def _h2_reset(found: Evidence, signals: set[str]) -> bool | None:
    """None when no HTTP/2 stream reset is in evidence, else whether it may be retried."""
    if Transport.BAD_RESET in found.transports:
        return False
    if Signal.H2_RESET not in signals:
        return None
    code = _H2_CODE.search(found.text)
    if code is None:
        return None
    return h2_reset_retryable(next(g for g in code.groups() if g))
