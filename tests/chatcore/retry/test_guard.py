"""first_chunk_guard: a late first chunk is a retryable startup_timeout; the stream gets closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from chatcore.errors import ClassifiedError, ErrorKind, classify, terminal_message
from chatcore.retry import FirstChunkTimeout, first_chunk_guard, run_with_retry
from tests.chatcore.retry.scripted import RecordingSleep, RetryLog

WINDOW = 0.05  # the startup window, shortened from 60 s
SLOW = 5.0  # far longer than WINDOW: a stream this slow must be cut off


@dataclass
class SlowStream:
    """A real async generator that waits before each chunk and records its own closing."""

    first_after: float
    then_after: float = 0.0
    chunks: tuple[str, ...] = ("Hel", "lo")
    closed: bool = False
    produced: list[str] = field(default_factory=list)

    async def run(self) -> AsyncIterator[str]:
        try:
            for index, chunk in enumerate(self.chunks):
                await asyncio.sleep(self.first_after if index == 0 else self.then_after)
                self.produced.append(chunk)
                yield chunk
        finally:
            self.closed = True


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [chunk async for chunk in stream]


async def test_a_late_first_chunk_is_a_retryable_startup_timeout_and_closes_the_stream() -> None:
    slow = SlowStream(first_after=SLOW)
    generator = slow.run()
    started = time.monotonic()
    with pytest.raises(FirstChunkTimeout) as caught:
        await collect(first_chunk_guard(generator, WINDOW, provider="anthropic"))
    assert time.monotonic() - started < SLOW / 2
    assert slow.closed and slow.produced == []
    assert generator.ag_frame is None  # finished: aclose() ran, nothing left to resume
    assert classify(caught.value) == ClassifiedError(
        kind=ErrorKind.STARTUP_TIMEOUT,
        message=terminal_message(
            ClassifiedError(kind=ErrorKind.STARTUP_TIMEOUT, provider="anthropic")
        ),
        provider="anthropic",
        retryable=True,
    )
    # Raised outside the timeout's except block: no CancelledError in the chain.
    assert caught.value.__context__ is None and caught.value.__cause__ is None


async def test_without_a_provider_the_message_names_the_ai_provider() -> None:
    with pytest.raises(FirstChunkTimeout) as caught:
        await collect(first_chunk_guard(SlowStream(first_after=SLOW).run(), WINDOW))
    classified = classify(caught.value)
    assert (classified.kind, classified.retryable) == (ErrorKind.STARTUP_TIMEOUT, True)
    assert classified.message.startswith("The AI provider did not start responding in time")


async def test_later_chunks_are_not_time_limited() -> None:
    slow = SlowStream(first_after=0, then_after=WINDOW * 3, chunks=("a", "b", "c"))
    assert await collect(first_chunk_guard(slow.run(), WINDOW)) == ["a", "b", "c"]
    assert slow.closed


async def test_a_prompt_first_chunk_passes_everything_through() -> None:
    slow = SlowStream(first_after=WINDOW / 10)
    assert await collect(first_chunk_guard(slow.run(), WINDOW * 20)) == ["Hel", "lo"]


async def test_an_empty_stream_is_not_a_timeout() -> None:
    slow = SlowStream(first_after=0, chunks=())
    assert await collect(first_chunk_guard(slow.run(), WINDOW)) == []
    assert slow.closed


async def test_the_streams_own_timeout_error_is_not_relabelled() -> None:
    async def failing() -> AsyncIterator[str]:
        raise TimeoutError("read timed out")
        yield "never"

    with pytest.raises(TimeoutError, match="read timed out") as caught:
        await collect(first_chunk_guard(failing(), WINDOW * 20))
    assert not isinstance(caught.value, FirstChunkTimeout)


async def test_closing_the_guard_early_closes_the_underlying_stream() -> None:
    slow = SlowStream(first_after=0, chunks=("a", "b", "c"))
    guarded = first_chunk_guard(slow.run(), WINDOW)
    assert await anext(guarded) == "a"
    await guarded.aclose()
    assert slow.closed and slow.produced == ["a"]


async def test_a_startup_timeout_is_retried_by_the_loop() -> None:
    streams = [SlowStream(first_after=SLOW), SlowStream(first_after=0)]
    sleep, log = RecordingSleep(), RetryLog()

    async def attempt(number: int) -> str:
        stream = streams[number - 1].run()
        return "".join(await collect(first_chunk_guard(stream, WINDOW, provider="openai")))

    assert await run_with_retry(attempt, sleep=sleep, on_retry=log) == "Hello"
    assert streams[0].closed and streams[1].closed
    assert [call[2].kind for call in log.calls] == [ErrorKind.STARTUP_TIMEOUT]
    assert sleep.delays == [1.0]


async def test_cancelling_the_consumer_while_waiting_propagates_and_closes_the_stream() -> None:
    slow = SlowStream(first_after=SLOW)
    task = asyncio.create_task(collect(first_chunk_guard(slow.run(), SLOW * 2)))
    await asyncio.sleep(WINDOW)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, SLOW / 2)
    assert slow.closed and slow.produced == []
