"""The first-chunk guard: an attempt that yields nothing in time fails, retryably."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

from chatcore.errors import ClassifiedError, ErrorKind, with_classification

__all__ = ["DEFAULT_STARTUP_TIMEOUT", "FirstChunkTimeout", "first_chunk_guard"]

T = TypeVar("T")

DEFAULT_STARTUP_TIMEOUT = 60.0
"""Seconds an attempt may take to produce its first chunk."""


class FirstChunkTimeout(Exception):
    """The stream produced no first chunk within the startup window."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no first chunk within {timeout:g}s")
        self.timeout = timeout


async def first_chunk_guard(
    stream: AsyncIterable[T],
    # The public API names it `timeout`; the guard applies it to the first item only.
    timeout: float = DEFAULT_STARTUP_TIMEOUT,  # noqa: ASYNC109
    *,
    provider: str | None = None,
) -> AsyncIterator[T]:
    """Yield ``stream``'s items; fail as ``startup_timeout`` if the first is late.

    On timeout the underlying stream is closed (``aclose()``) before the error
    is raised, so the provider connection does not linger. Later items are not
    time-limited here. Closing the guard closes the stream too.
    """
    iterator = aiter(stream)
    try:
        first = await _first(iterator, timeout)
        if first is None:
            # Raised outside any except block so the timeout's CancelledError is
            # not chained in; the finally below closes the stream before it leaves.
            classified = ClassifiedError(kind=ErrorKind.STARTUP_TIMEOUT, retryable=True)
            raise with_classification(
                FirstChunkTimeout(timeout), classified.with_provider(provider)
            )
        for item in first:
            yield item
        async for item in iterator:
            yield item
    finally:
        await _aclose(iterator)


async def _first(iterator: AsyncIterator[T], window: float) -> list[T] | None:
    """``[item]``, ``[]`` when the stream ended at once, ``None`` when the window expired."""
    deadline = asyncio.timeout(window)
    try:
        async with deadline:
            return [await anext(iterator)]
    except StopAsyncIteration:
        return []
    except TimeoutError:
        # Only our own deadline means "startup timeout"; a TimeoutError raised
        # by the stream itself is the stream's error and propagates as is.
        if deadline.expired():
            return None
        raise


async def _aclose(iterator: AsyncIterator[object]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
