"""Playing one successful-or-broken answer: SSE at a rate, or a JSON document."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chatcore.fakeprovider.asgi import (
    Receive,
    Send,
    Sleep,
    drop_connection,
    send_bytes,
    sleep_unless_gone,
    start_message,
    watch_disconnect,
)
from chatcore.fakeprovider.outcomes import Outcome
from chatcore.fakeprovider.presets import ErrorSpec
from chatcore.fakeprovider.wire import Wire

__all__ = ["Answer", "play_document", "play_stream"]

_BATCH = 64 * 1024
"""Bytes per write when streaming as fast as possible (one write per token is far slower)."""

# A reset is an ASGI response left unfinished and its connection closed (see
# drop_connection): the client sees an incomplete chunked body ("peer closed
# connection without sending complete message body").


@dataclass(frozen=True, slots=True)
class Answer:
    """What to play: the outcome, the full token list, and callbacks for the app's state."""

    outcome: Outcome
    tokens: list[str]
    error: ErrorSpec | None = None
    headers: tuple[tuple[str, str], ...] = ()
    on_complete: Callable[[], None] = lambda: None
    # What token ``index`` becomes at the moment it is encoded (a stamp of the
    # send time for ``stamp`` outcomes); encoding is lazy, so paced tokens are
    # made when they leave.
    emit: Callable[[int, str], str] = lambda index, token: token

    @property
    def sent_tokens(self) -> list[str]:
        """The tokens this outcome really sends before its ending."""
        if self.outcome.kind == "ok":
            return self.tokens
        return self.tokens[: self.outcome.after]


def _ending(wire: Wire, answer: Answer, sent: list[str]) -> bytes:
    """The terminal events after the tokens ``sent`` (as emitted)."""
    kind, text = answer.outcome.kind, "".join(sent)
    if kind in {"ok", "refusal"}:
        return wire.finish(text, len(sent), refusal=kind == "refusal")
    if kind == "stream_error" and answer.outcome.body is not None:
        return wire.event(answer.outcome.body)  # a scripted shape, e.g. a router's choice error
    if kind == "stream_error" and answer.error is not None:
        return wire.fail(answer.error, text, len(sent), event=answer.outcome.event)
    return b""  # truncate and reset: the terminal event never comes


def _emitted(answer: Answer) -> list[str]:
    return [answer.emit(index, token) for index, token in enumerate(answer.sent_tokens)]


async def play_stream(
    send: Send,
    receive: Receive,
    wire: Wire,
    answer: Answer,
    *,
    sleep: Sleep,
    clock: Callable[[], float],
) -> None:
    """Stream ``answer`` as SSE: the opening, the tokens at the outcome's rate, the ending."""
    outcome = answer.outcome
    await send(start_message(200, [*wire.stream_headers(), *answer.headers]))
    gone, watcher = watch_disconnect(receive)
    try:
        if not await sleep_unless_gone(sleep, outcome.delay, gone):
            return
        if outcome.kind in {"ok", "refusal"}:
            answer.on_complete()  # before the terminal event, so a quick follow-up can chain
        pieces = _pieces(wire, answer)
        if outcome.rate > 0:
            count = max(1, len(answer.sent_tokens))
            await _paced(send, pieces, count, outcome.rate, sleep=sleep, clock=clock, gone=gone)
        else:
            await _batched(send, pieces)
        if gone.is_set():
            return
        if outcome.kind == "reset":
            drop_connection(send)
        else:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()


def _pieces(wire: Wire, answer: Answer) -> Iterator[bytes]:
    """The opening, then one piece per token; the ending rides on the last piece.

    Encoded lazily and in order: Responses numbers every event as it is made.
    """
    tokens = answer.sent_tokens
    sent: list[str] = []
    head = wire.open()
    if not tokens:
        yield head + _ending(wire, answer, sent)
        return
    for index, token in enumerate(tokens):
        sent.append(answer.emit(index, token))
        piece = head + wire.delta(sent[-1]) if index == 0 else wire.delta(sent[-1])
        yield piece + _ending(wire, answer, sent) if index == len(tokens) - 1 else piece


async def _batched(send: Send, pieces: Iterator[bytes]) -> None:
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= _BATCH:
            await send({"type": "http.response.body", "body": bytes(buffer), "more_body": True})
            buffer.clear()
    if buffer:
        await send({"type": "http.response.body", "body": bytes(buffer), "more_body": True})


async def _paced(
    send: Send,
    pieces: Iterator[bytes],
    count: int,
    rate: float,
    *,
    sleep: Sleep,
    clock: Callable[[], float],
    gone: asyncio.Event,
) -> None:
    start = clock()
    for index in range(count):
        # Absolute schedule: piece i leaves at start + i/rate, so pacing never drifts.
        if not await sleep_unless_gone(sleep, start + index / rate - clock(), gone):
            return
        # Encoded only now, after the wait: a stamped token carries its real send time.
        await send({"type": "http.response.body", "body": next(pieces), "more_body": True})


async def play_document(
    send: Send, receive: Receive, wire: Wire, answer: Answer, *, sleep: Sleep
) -> None:
    """Answer a non-streaming request with the JSON document (or a broken one)."""
    outcome = answer.outcome
    gone, watcher = watch_disconnect(receive)
    try:
        if not await sleep_unless_gone(sleep, outcome.delay, gone):
            return
        sent = _emitted(answer)
        refusal = outcome.kind == "refusal"
        body = json.dumps(wire.document("".join(sent), len(sent), refusal=refusal)).encode()
        headers = [
            ("content-type", "application/json"),
            (wire.request_id_header, wire.request_id),
            *answer.headers,
        ]
        if outcome.kind in {"ok", "refusal"}:
            answer.on_complete()
            await send_bytes(send, 200, body, headers)
        elif outcome.kind == "truncate":
            # The body ends cleanly at the HTTP level but is not a whole JSON document.
            await send(start_message(200, headers))
            await send({"type": "http.response.body", "body": body[: len(body) // 2]})
        else:  # reset: half the document, then the response is left unfinished
            await send(start_message(200, headers))
            half = body[: len(body) // 2]
            await send({"type": "http.response.body", "body": half, "more_body": True})
            drop_connection(send)
    finally:
        watcher.cancel()
