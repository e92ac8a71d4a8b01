"""The rollback boundary: an attempt's streamed output is provisional."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["AttemptBuffer"]

T = TypeVar("T")


class AttemptBuffer(Generic[T]):
    """Collects the parts one attempt streams; they count only once it succeeds.

    How the runner uses it with the live events, per turn:

    1. ``begin(n)`` when attempt *n* starts. The buffer is empty: a new attempt
       always starts clean.
    2. For every streamed part: ``add(part)``, then publish a ``delta`` event
       with ``attempt=n``. Clients append it to the turn's *provisional* text;
       snapshots render ``parts`` as that provisional text.
    3. The attempt fails and ``run_with_retry`` will retry it: inside
       ``on_retry`` call ``discard()`` and then publish the ``retry`` event.
       That event is the rollback boundary: every client drops the turn's
       provisional text, and since the server never persisted it, nothing
       streamed before the boundary is shown again after it.
    4. The attempt succeeds: ``commit()`` returns its parts exactly once; the
       runner persists them as the assistant message, then publishes ``done``.
    5. The loop gives up: ``discard()``, persist the ``ChatError``, publish
       ``error`` (which also tells clients to drop the provisional text).

    Only the attempt that succeeded ever reaches the database, so text is
    never doubled, on screen or in the transcript.
    """

    def __init__(self) -> None:
        self._parts: list[T] = []
        self._attempt = 0
        self._open = False

    @property
    def attempt(self) -> int:
        """The attempt whose parts are buffered (0 before the first ``begin``)."""
        return self._attempt

    @property
    def parts(self) -> tuple[T, ...]:
        """The provisional parts so far, e.g. for a snapshot."""
        return tuple(self._parts)

    @property
    def is_open(self) -> bool:
        """True between ``begin`` and ``commit``/``discard``."""
        return self._open

    def begin(self, attempt: int) -> None:
        """Start collecting for ``attempt``, dropping anything a previous one left."""
        if attempt < 1:
            raise ValueError(f"attempt is 1-based, got {attempt!r}")
        self._parts.clear()
        self._attempt = attempt
        self._open = True

    def add(self, part: T) -> None:
        """Buffer one provisional part of the current attempt."""
        if not self._open:
            raise RuntimeError("no attempt in progress: call begin() first")
        self._parts.append(part)

    def commit(self) -> list[T]:
        """The succeeded attempt's parts, handed over once; the buffer is closed."""
        if not self._open:
            raise RuntimeError("no attempt in progress: nothing to commit")
        parts, self._parts = self._parts, []
        self._open = False
        return parts

    def discard(self) -> int:
        """Roll back the current attempt's parts; returns how many were dropped."""
        dropped = len(self._parts)
        self._parts = []
        self._open = False
        return dropped
