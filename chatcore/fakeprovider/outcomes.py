"""Outcome objects: what the fake provider does for one attempt, parsed from JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ERROR_PRESETS",
    "STREAM_KINDS",
    "Outcome",
    "ScenarioError",
    "parse_outcome",
    "parse_scenario",
]

STREAM_KINDS = frozenset({"ok", "truncate", "reset", "stream_error", "refusal"})
"""Outcomes that answer 200 and produce tokens (possibly ending badly)."""

ERROR_PRESETS = frozenset(
    {
        "rate_limit",
        "overloaded",
        "provider_disabled",
        "insufficient_quota",
        "auth",
        "model_not_found",
        "context_length",
        "content_filter",
        "server_error",
        "unavailable",
        "bad_gateway",
        "previous_response_not_found",
    }
)
"""Outcomes answered with an HTTP error in the endpoint provider's body shape."""

_KINDS = STREAM_KINDS | ERROR_PRESETS | {"status"}

# key -> accepted JSON types; bool is rejected where a number is expected below.
_FIELDS: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "tokens": (int,),
    "text": (str,),
    "echo": (bool,),
    "stamp": (bool,),
    "markdown": (bool,),
    "rate": (int, float),
    "delay": (int, float),
    "after": (int,),
    "headers": (dict,),
    "status": (int,),
    "body": (dict, list, str, int, float, bool, type(None)),
    "raw": (str,),
    "content_type": (str,),
    "message": (str,),
    "error": (str,),
    "event": (str,),
    "retry_after": (int, float),
    "retry_after_ms": (int, float),
    "retry_after_date": (int, float),
}
_NUMERIC = frozenset(
    {"tokens", "rate", "delay", "after", "status", "retry_after", "retry_after_ms"}
    | {"retry_after_date"}
)


class ScenarioError(ValueError):
    """The scenario header or a scenario definition is not valid."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's behaviour; ``spec`` is the JSON it came from (recorded per request)."""

    kind: str
    tokens: int = 24
    text: str | None = None
    echo: bool = False
    stamp: bool = False
    markdown: bool = False  # stamped tokens inside markdown structure (headings, code, ...)
    rate: float = 0.0
    delay: float = 0.0
    after: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    status: int | None = None
    body: Any = None
    raw: str | None = None
    content_type: str | None = None
    message: str | None = None
    error: str | None = None
    event: str = "failed"
    retry_after: float | None = None
    retry_after_ms: float | None = None
    retry_after_date: float | None = None
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False)


def parse_outcome(spec: object) -> Outcome:
    """Validate one outcome object; raise ``ScenarioError`` saying what is wrong."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"an outcome must be a JSON object, got {spec!r}")
    kind = spec.get("kind")
    if kind not in _KINDS:
        raise ScenarioError(f"unknown outcome kind {kind!r}; expected one of {sorted(_KINDS)}")
    for key, value in spec.items():
        if key not in _FIELDS:
            raise ScenarioError(f"unknown outcome key {key!r} in {spec!r}")
        bad_bool = key in _NUMERIC and isinstance(value, bool)
        if bad_bool or not isinstance(value, _FIELDS[key]):
            raise ScenarioError(f"outcome key {key!r} has the wrong type: {value!r}")
        if key in _NUMERIC and isinstance(value, int | float) and value < 0:
            raise ScenarioError(f"outcome key {key!r} must not be negative: {value!r}")
    if spec.get("event", "failed") not in {"failed", "error"}:
        raise ScenarioError("outcome key 'event' must be 'failed' or 'error'")
    error = spec.get("error")
    if error is not None and error not in ERROR_PRESETS:
        raise ScenarioError(f"unknown error preset {error!r}")
    if kind == "status" and "status" not in spec:
        raise ScenarioError("a 'status' outcome needs a 'status'")
    headers = spec.get("headers") or {}
    if not all(isinstance(value, str) for value in headers.values()):
        raise ScenarioError("header values must be strings")
    values = {key: value for key, value in spec.items() if key not in {"kind", "headers"}}
    return Outcome(kind=kind, headers=tuple(headers.items()), spec=dict(spec), **values)


def parse_scenario(
    value: object, *, named: Mapping[str, tuple[Outcome, ...]]
) -> tuple[Outcome, ...]:
    """Parse an ``X-Fake-Scenario`` value: a JSON list, one object, or a scenario name."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.strip() in named:
        # A bare scenario name is accepted as well as the JSON string form.
        return named[value.strip()]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ScenarioError(f"X-Fake-Scenario is not JSON: {exc}") from exc
    if isinstance(value, str):
        if value not in named:
            raise ScenarioError(f"unknown scenario name {value!r}")
        return named[value]
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ScenarioError("a scenario needs at least one outcome")
    return tuple(parse_outcome(item) for item in items)
