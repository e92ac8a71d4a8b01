"""Walking an exception chain like Go's `errors.As`: cause, context and group members."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["MAX_CHAIN", "safe_getattr", "safe_str", "walk"]

# A chain longer than this is pathological (or cyclic through a custom type);
# the first exceptions carry the signals that matter.
MAX_CHAIN = 64


def walk(error: BaseException) -> Iterator[BaseException]:
    """Each exception of the chain once, outermost first, depth-first.

    The order is: the error, its `__cause__` chain, its group members, then the
    `__context__` (an implicit "during handling of ..." link, least specific).
    """
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack and len(seen) < MAX_CHAIN:
        exc = stack.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        # Pushed in reverse so that the cause is visited before the context.
        following: list[BaseException] = []
        cause = exc.__cause__
        if isinstance(cause, BaseException):
            following.append(cause)
        if isinstance(exc, BaseExceptionGroup):
            following.extend(m for m in exc.exceptions if isinstance(m, BaseException))
        context = exc.__context__
        if isinstance(context, BaseException):
            following.append(context)
        stack.extend(reversed(following))


def safe_str(value: object) -> str:
    """`str(value)`, or "" when a custom `__str__` misbehaves."""
    try:
        text = str(value)
    except Exception:
        return ""
    return text if isinstance(text, str) else ""


def safe_getattr(obj: object, name: str, default: object = None) -> Any:
    """`getattr`, or `default` when a property raises anything at all."""
    try:
        return getattr(obj, name, default)
    except Exception:
        return default
