"""Recognition of transport failures by class, without importing the libraries.

httpx, httpx2 (the SDKs' client), httpcore, httpcore2, h2, anyio and the
`openai` / `anthropic` SDKs are matched by module root and class name along the
MRO, so the classifier works whether or not each library is installed.
"""

from __future__ import annotations

import asyncio
import re
from enum import Enum

from chatcore.errors.chain import safe_getattr
from chatcore.errors.exceptions import DeadlineExceeded, ProviderTransportReset

__all__ = ["Transport", "h2_reset_retryable", "transport_of"]


class Transport(Enum):
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
    if isinstance(exc, asyncio.CancelledError):
        return Transport.CANCELED
    if isinstance(exc, ProviderTransportReset):
        return Transport.PROVIDER_RESET
    if isinstance(exc, DeadlineExceeded):
        return Transport.DEADLINE
    reset = _h2_event_in_args(exc)
    if reset is not None:
        return reset
    for klass in type(exc).__mro__:
        root = klass.__module__.partition(".")[0]
        if root in _HTTP_LIBS:
            if klass.__name__ in _RETRYABLE_HTTP_CLASSES:
                return Transport.RETRYABLE
        elif klass.__name__ in _RETRYABLE_OTHER.get(root, ()):
            return Transport.RETRYABLE
    if isinstance(exc, _RETRYABLE_BUILTINS):
        return Transport.RETRYABLE
    if isinstance(exc, TimeoutError):
        return Transport.BUILTIN_TIMEOUT
    return None


def _h2_event_in_args(exc: BaseException) -> Transport | None:
    # httpcore raises RemoteProtocolError(event) with the h2 event object itself.
    for arg in exc.args[:2]:
        klass = type(arg)
        if klass.__module__.partition(".")[0] != "h2":
            continue
        if klass.__name__ == "StreamReset":
            code = safe_getattr(arg, "error_code")
            return Transport.RETRYABLE if h2_reset_retryable(code) else Transport.BAD_RESET
        if klass.__name__ == "ConnectionTerminated":  # GOAWAY
            return Transport.RETRYABLE
    return None
