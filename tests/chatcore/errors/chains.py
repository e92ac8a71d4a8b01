"""Building real exception chains (with tracebacks) for the tests."""

from __future__ import annotations

__all__ = ["chained"]


def chained(outer: BaseException, inner: BaseException, *, implicit: bool = False) -> BaseException:
    """`outer` raised from (or, implicitly, while handling) `inner`, with a real traceback."""
    try:
        try:
            raise inner
        except BaseException as caught:
            if implicit:
                raise outer  # noqa: B904 - the implicit __context__ link is the point
            raise outer from caught
    except BaseException as result:
        return result
    raise AssertionError("unreachable")
