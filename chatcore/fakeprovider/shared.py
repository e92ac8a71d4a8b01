"""Faults shared by every conversation on a model: a provider-wide outage, a key's rate limit.

Scripts (``scenarios``) fail per conversation; these fail for everyone at once, as a real
provider does, so shared provider health has something to share:

* ``demo-outage`` (down ``DEMO_OUTAGE_SECONDS``) and ``outage-<T>s`` (e.g. ``outage-30s``,
  T may have decimals): from the model's first request every request gets a 529
  ``overloaded`` for T seconds, then the model answers (the demo paragraph for
  ``demo-outage``, the default 24 tokens otherwise). After ``state_ttl`` seconds without
  a request the outage is forgotten, so the demo can be shown again.
* ``demo-key-limit`` (``DEMO_KEY_LIMIT``) and ``keylimit-<N>per<S>s`` (e.g.
  ``keylimit-2per10s``): at most N requests per S-second window per API key (no key
  counts as one key); the others get a 429 with ``Retry-After`` = the seconds until the
  window ends (rounded up), the same deadline for every conversation on that key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chatcore.fakeprovider.outcomes import Outcome, parse_outcome
from chatcore.fakeprovider.state import KeyWindows, OutageBook

__all__ = ["DEMO_KEY_LIMIT", "DEMO_OUTAGE_SECONDS", "SharedFault", "SharedFaults", "shared_fault"]

DEMO_OUTAGE_SECONDS = 15.0
"""How long ``demo-outage`` is down: long enough to open the breaker and see a countdown."""

DEMO_KEY_LIMIT = (1, 10.0)
"""``demo-key-limit``: one request per 10 s per key; a second chat waits on its Retry-After."""

_OUTAGE = re.compile(r"outage-(\d+(?:\.\d+)?)s")
_KEY_LIMIT = re.compile(r"keylimit-(\d+)per(\d+(?:\.\d+)?)s")
_OVERLOADED = parse_outcome({"kind": "overloaded"})


@dataclass(frozen=True, slots=True)
class SharedFault:
    """Down for ``outage`` seconds, or at most ``limit`` requests per ``per`` seconds."""

    outage: float = 0.0
    limit: int = 0
    per: float = 0.0


def shared_fault(model: str) -> SharedFault | None:
    """The shared fault a model name selects (None for any other model)."""
    if model == "demo-outage":
        return SharedFault(outage=DEMO_OUTAGE_SECONDS)
    if model == "demo-key-limit":
        return SharedFault(limit=DEMO_KEY_LIMIT[0], per=DEMO_KEY_LIMIT[1])
    if match := _OUTAGE.fullmatch(model):
        return SharedFault(outage=float(match[1]))
    match = _KEY_LIMIT.fullmatch(model)
    if match and int(match[1]) > 0 and float(match[2]) > 0:
        return SharedFault(limit=int(match[1]), per=float(match[2]))
    return None


class SharedFaults:
    """The fake provider's memory of shared faults (one per app instance)."""

    def __init__(self, *, outages: OutageBook, windows: KeyWindows) -> None:
        self.outages = outages
        self.windows = windows

    def outcome(self, model: str, fault: SharedFault, *, api_key: str) -> Outcome | None:
        """What this request gets from the shared fault; None: its script decides."""
        if fault.outage > 0:
            return _OVERLOADED if self.outages.down(model, fault.outage) else None
        wait = self.windows.take(api_key, model, limit=fault.limit, per=fault.per)
        if wait <= 0:
            return None
        return parse_outcome({"kind": "rate_limit", "retry_after": math.ceil(wait)})

    def clear(self) -> None:
        self.outages.clear()
        self.windows.clear()
