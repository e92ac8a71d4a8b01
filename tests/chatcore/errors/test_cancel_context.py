"""Regression: anyio leaves a CancelledError in the __context__ of a library read timeout."""

from __future__ import annotations

import asyncio

import httpx

from chatcore.errors import ErrorKind, classify


def _read_timeout_over_cancel() -> BaseException:
    try:
        try:
            raise asyncio.CancelledError()
        except asyncio.CancelledError:
            raise TimeoutError()  # noqa: B904 - as anyio does: the cancel stays in __context__
    except TimeoutError as inner:
        try:
            raise httpx.ReadTimeout("timed out") from inner
        except httpx.ReadTimeout as outer:
            return outer


def test_read_timeout_with_a_cancelled_error_in_its_context_is_a_retryable_timeout() -> None:
    error = _read_timeout_over_cancel()
    assert isinstance(error.__cause__.__context__, asyncio.CancelledError)  # type: ignore[union-attr]
    got = classify(error)
    assert (got.kind, got.retryable) == (ErrorKind.TIMEOUT, True)


def test_a_cancellation_itself_is_still_a_cancellation() -> None:
    got = classify(asyncio.CancelledError())
    assert (got.kind, got.retryable, got.message) == (
        ErrorKind.GENERIC,
        False,
        "The request was canceled.",
    )
