"""Transport failures, HTTP/2 resets, our own deadline and cancellation."""

from __future__ import annotations

import asyncio

import aiohttp
import httpcore2
import httpx
import httpx2
import pytest

from chatcore.errors import (
    ClassifiedError,
    DeadlineExceeded,
    ErrorKind,
    ProviderTransportReset,
    classify,
)
from tests.chatcore.errors.chains import chained

K = ErrorKind


class StreamReset:
    """Shaped like `h2.events.StreamReset` (h2 is not installed here)."""

    __module__ = "h2.events"

    def __init__(self, error_code: int) -> None:
        self.stream_id = 1
        self.error_code = error_code
        self.remote_reset = True

    def __repr__(self) -> str:
        return f"<StreamReset stream_id:1, error_code:{self.error_code}, remote_reset:True>"


TRANSPORT_ROWS = [
    ("connection_reset", ConnectionResetError(), K.TIMEOUT, True),
    ("broken_pipe", BrokenPipeError(), K.TIMEOUT, True),
    ("eof", EOFError(), K.TIMEOUT, True),
    ("httpx_connect_timeout", httpx.ConnectTimeout("x"), K.TIMEOUT, True),
    ("httpx_read_timeout", httpx.ReadTimeout("x"), K.TIMEOUT, True),
    ("httpx_write_timeout", httpx.WriteTimeout("x"), K.TIMEOUT, True),
    ("httpx_pool_timeout", httpx.PoolTimeout("x"), K.TIMEOUT, True),
    ("httpx2_connect_error", httpx2.ConnectError("x"), K.TIMEOUT, True),
    ("httpx_peer_closed", httpx.RemoteProtocolError("peer closed connection without sending complete message body"), K.TIMEOUT, True),
    ("httpcore2_server_disconnected", httpcore2.RemoteProtocolError("Server disconnected without sending a response."), K.TIMEOUT, True),
    ("h2_reset_refused_stream_object", httpcore2.RemoteProtocolError(StreamReset(7)), K.TIMEOUT, True),
    ("h2_reset_enhance_your_calm_object", httpcore2.RemoteProtocolError(StreamReset(11)), K.TIMEOUT, True),
    ("h2_reset_protocol_error_object_no_retry", httpcore2.RemoteProtocolError(StreamReset(1)), K.GENERIC, False),
    ("h2_reset_frame_size_object_no_retry", httpcore2.RemoteProtocolError(StreamReset(6)), K.GENERIC, False),
    ("aiohttp_connection_error", aiohttp.ClientConnectionError("x"), K.TIMEOUT, True),
    ("aiohttp_server_disconnected", aiohttp.ServerDisconnectedError(), K.TIMEOUT, True),
    ("aiohttp_connection_reset", aiohttp.ClientOSError(104, "Connection reset by peer"), K.TIMEOUT, True),
    ("aiohttp_payload_not_completed", aiohttp.ClientPayloadError("Response payload is not completed"), K.TIMEOUT, True),
    ("aiohttp_server_timeout_is_not_our_deadline", aiohttp.ServerTimeoutError("x"), K.TIMEOUT, True),
    ("aiohttp_socket_read_timeout_is_not_our_deadline", aiohttp.SocketTimeoutError("x"), K.TIMEOUT, True),
    ("aiohttp_connect_timeout_is_not_our_deadline", aiohttp.ConnectionTimeoutError("x"), K.TIMEOUT, True),
    ("aiohttp_error_under_the_sdks_httpx2_error", chained(httpx2.ReadError("x"), aiohttp.ClientPayloadError("x")), K.TIMEOUT, True),
    ("deadline_wins_over_aiohttp_timeout", chained(DeadlineExceeded("ours"), aiohttp.SocketTimeoutError("read")), K.TIMEOUT, False),
    ("aiohttp_response_error_is_not_transport", aiohttp.ClientResponseError(None, (), status=0, message="x"), K.GENERIC, False),  # type: ignore[arg-type]
    ("provider_transport_reset", ProviderTransportReset("stream dropped"), K.TIMEOUT, True),
    ("our_deadline_class", DeadlineExceeded("turn deadline"), K.TIMEOUT, False),
    ("builtin_timeout_error_is_our_deadline", TimeoutError(), K.TIMEOUT, False),
    ("library_timeout_over_socket_timeout_retries", chained(httpx2.ReadTimeout("read"), TimeoutError("socket")), K.TIMEOUT, True),
    ("deadline_wins_over_library_timeout", chained(DeadlineExceeded("ours"), httpx2.ReadTimeout("read")), K.TIMEOUT, False),
    ("cancelled", asyncio.CancelledError(), K.GENERIC, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("error", "kind", "retryable"),
    [r[1:] for r in TRANSPORT_ROWS],
    ids=[r[0] for r in TRANSPORT_ROWS],
)
def test_transport_rows(error: BaseException, kind: ErrorKind, retryable: bool) -> None:
    got = classify(error)
    assert (got.kind, got.retryable) == (kind, retryable)


def test_cancelled_whole_value() -> None:
    assert classify(asyncio.CancelledError(), provider="openai") == ClassifiedError(
        kind=K.GENERIC, message="The request was canceled.", provider="openai"
    )


def test_cancellation_anywhere_in_the_chain_cancels() -> None:
    got = classify(chained(RuntimeError("stream aborted"), asyncio.CancelledError()))
    assert (got.kind, got.message) == (K.GENERIC, "The request was canceled.")
