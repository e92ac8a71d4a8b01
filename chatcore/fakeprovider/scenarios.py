"""Named scenarios (selected by model name) and how a request picks its script."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from chatcore.fakeprovider.outcomes import Outcome, parse_outcome, parse_scenario
from chatcore.fakeprovider.text import DEMO_ANSWER, ECHO_SHOWCASE

__all__ = ["DEFAULT_SCENARIO", "DEMO_RATE", "SCENARIOS", "choose_scenario", "load_scenario"]

DEMO_RATE = 30.0
"""Tokens per second of demo answers: fast enough to read, slow enough to watch stream."""

_DEMO_OK: dict[str, Any] = {"kind": "ok", "text": DEMO_ANSWER, "rate": DEMO_RATE}


def _script(*specs: Mapping[str, Any]) -> tuple[Outcome, ...]:
    return tuple(parse_outcome(dict(spec)) for spec in specs)


SCENARIOS: Mapping[str, tuple[Outcome, ...]] = MappingProxyType(
    {
        "demo-echo": _script(
            {"kind": "ok", "echo": True, "text": ECHO_SHOWCASE, "rate": DEMO_RATE}
        ),
        # The last user message exactly, nothing added (tests that compare it).
        "echo": _script({"kind": "ok", "echo": True, "rate": DEMO_RATE}),
        "demo-flaky": _script({"kind": "rate_limit", "retry_after": 3}, _DEMO_OK),
        "demo-overloaded": _script({"kind": "overloaded"}, {"kind": "overloaded"}, _DEMO_OK),
        # Overloaded on every attempt: the demo's fallback (to demo-echo) answers instead.
        "demo-fallback": _script({"kind": "overloaded"}),
        "demo-truncated": _script({**_DEMO_OK, "kind": "truncate", "after": 20}, _DEMO_OK),
        # 8 s is beyond the demo's ~5 s startup window, so the first-chunk guard fires once.
        "demo-slow-start": _script({**_DEMO_OK, "delay": 8}, _DEMO_OK),
        "demo-auth": _script({"kind": "auth"}),
        "demo-quota": _script({"kind": "insufficient_quota"}),
        "demo-disabled": _script({"kind": "provider_disabled"}),
        "demo-context": _script({"kind": "context_length"}),
        "demo-down": _script({"kind": "reset", "after": 0}),
        # Down for everyone for a while, then the answer (the outage is in ``shared``).
        "demo-outage": _script(_DEMO_OK),
        # One request per 10 s per key; the others wait on the same Retry-After (``shared``).
        "demo-key-limit": _script(_DEMO_OK),
    }
)
"""Every named scenario; a request whose model is one of these keys runs that script."""

DEFAULT_SCENARIO: tuple[Outcome, ...] = _script({"kind": "ok"})
"""What any other model gets: one complete answer of the default 24 tokens."""


_LOAD = re.compile(r"load-(md-)?(\d+(?:\.\d+)?)tps-(\d+(?:\.\d+)?)s")


def load_scenario(model: str) -> tuple[Outcome, ...] | None:
    """``load-<R>tps-<S>s``: one answer of R * S stamped tokens at R tokens/s (bench/load.py);
    ``load-md-<R>tps-<S>s``: the same tokens inside markdown (headings, inline code,
    lists, fenced code, tables, quotes), as a model's answers are.

    A family of names rather than fixed entries, because the benchmark's rate
    and duration are its options; None for any other name.
    """
    match = _LOAD.fullmatch(model)
    if match is None or float(match[2]) <= 0:
        return None
    rate = float(match[2])
    spec = {"kind": "ok", "tokens": round(rate * float(match[3])), "rate": rate, "stamp": True}
    if match[1]:
        spec["markdown"] = True
    return _script(spec)


def choose_scenario(header: str | None, model: str) -> tuple[Outcome, ...]:
    """The script for a request: the ``X-Fake-Scenario`` header, else the model, else default."""
    if header is not None and header.strip():
        return parse_scenario(header, named=SCENARIOS)
    return SCENARIOS.get(model) or load_scenario(model) or DEFAULT_SCENARIO
