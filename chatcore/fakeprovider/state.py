"""The fake provider's memory: scenario positions, recorded requests, stored Responses ids."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

__all__ = ["KeyWindows", "OutageBook", "RequestLog", "ResponseStore", "ScenarioBook"]


class ScenarioBook:
    """Counts attempts per conversation; positions idle longer than ``ttl`` are forgotten."""

    def __init__(self, *, ttl: float, clock: Callable[[], float], limit: int = 10_000) -> None:
        self._ttl = ttl
        self._clock = clock
        self._limit = limit
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def next_attempt(self, conversation: str) -> int:
        """Record one more attempt of ``conversation`` and return its 1-based number."""
        now = self._clock()
        count, last = self._seen.pop(conversation, (0, now))
        if now - last > self._ttl:
            count = 0
        self._seen[conversation] = (count + 1, now)
        # Bounded so a long-running demo server cannot grow without limit.
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return count + 1

    def clear(self) -> None:
        self._seen.clear()


class RequestLog:
    """The most recent requests, oldest first, for tests to assert what was sent."""

    def __init__(self, *, limit: int = 500) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def add(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


class ResponseStore:
    """Ids of completed Responses, so ``previous_response_id`` works only for real ones."""

    def __init__(self, *, limit: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, response_id: str) -> None:
        self._ids[response_id] = None
        while len(self._ids) > self._limit:
            self._ids.popitem(last=False)

    def __contains__(self, response_id: object) -> bool:
        return response_id in self._ids

    def clear(self) -> None:
        self._ids.clear()


class OutageBook:
    """When each model's outage began (its first request); forgotten after ``ttl`` idle."""

    def __init__(self, *, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._started: dict[str, tuple[float, float]] = {}

    def down(self, model: str, duration: float) -> bool:
        """Is ``model`` down now, ``duration`` seconds from its first request?"""
        now = self._clock()
        started, last = self._started.get(model, (now, now))
        if now - last > self._ttl:
            started = now
        self._started[model] = (started, now)
        return now - started < duration

    def clear(self) -> None:
        self._started.clear()


class KeyWindows:
    """Requests per API key and model in fixed windows, for a per-key rate limit."""

    def __init__(self, *, clock: Callable[[], float], limit: int = 10_000) -> None:
        self._clock = clock
        self._limit = limit
        self._windows: OrderedDict[tuple[str, str], tuple[float, int]] = OrderedDict()

    def take(self, key: str, model: str, *, limit: int, per: float) -> float:
        """Count one request; 0 when allowed, else the seconds until the window ends."""
        now = self._clock()
        since, used = self._windows.pop((key, model), (now, 0))
        if now - since >= per:
            since, used = now, 0
        allowed = used < limit
        self._windows[(key, model)] = (since, used + 1 if allowed else used)
        while len(self._windows) > self._limit:
            self._windows.popitem(last=False)
        return 0.0 if allowed else since + per - now

    def clear(self) -> None:
        self._windows.clear()
