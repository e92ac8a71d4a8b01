"""The fault-matrix vocabulary: a scripted fault, its expected classification, the check.

The provider texts a detail must quote come from the fake's preset table
(``resolve_error``): exactly what went over the wire for that provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from chatcore.errors import ClassifiedError, ErrorKind
from chatcore.fakeprovider.presets import resolve_error
from tests.chatcore.providers.conftest import APIS, KEY, MODEL, Api


@dataclass(frozen=True)
class Fault:
    """One scripted fault and the classification it must produce."""

    id: str
    outcome: dict[str, Any]
    kind: ErrorKind
    retryable: bool
    retry_after: tuple[float, float] = (0.0, 0.0)  # inclusive bounds, seconds
    chain_broken: bool = False
    apis: tuple[Api, ...] = APIS
    status: int | None = None  # explicit; else the preset's status (200 for in-stream faults)
    detail: str | None = None  # explicit ("{label}": the adapter's); else the preset's message
    tokens_before: int = 0  # text deltas the adapter must yield before it raises


def cases(faults: tuple[Fault, ...]) -> list[Any]:
    return [
        pytest.param(fault, api, id=f"{fault.id}-{api.name}")
        for fault in faults
        for api in fault.apis
    ]


def preset(fault: Fault, api: Api) -> tuple[int, str]:
    """(status, provider message) the fake sent for a preset outcome."""
    name = (
        fault.outcome.get("error", "overloaded")
        if fault.outcome["kind"] == "stream_error"
        else fault.outcome["kind"]
    )
    spec = resolve_error(name, api=api.wire, model=MODEL, api_key=KEY)
    return spec.status, _ECHOED_KEY.sub(r"\1[REDACTED]", spec.message)


# The key fragment a provider echoes ("Incorrect API key provided: sk-***abcd.") is
# masked by the classifier, like any key.
_ECHOED_KEY = re.compile(r"(API key provided: )\S+?(?=\.\s)")


def expected_for(fault: Fault, api: Api, got: ClassifiedError) -> ClassifiedError:
    status = fault.status
    detail = fault.detail
    if status is None or detail is None:
        preset_status, preset_message = preset(fault, api)
        status = preset_status if status is None else status
        detail = preset_message if detail is None else detail
    detail = detail.replace("{label}", api.label)
    return ClassifiedError(
        kind=fault.kind,
        message=got.message,  # server-owned prose, checked by assert_classified
        detail=detail,
        provider=api.provider,
        retryable=fault.retryable,
        status_code=status,
        retry_after=got.retry_after,  # checked against the bounds by assert_classified
        chain_broken=fault.chain_broken,
    )


def assert_classified(
    got: ClassifiedError, fault: Fault, api: Api, expected: ClassifiedError
) -> None:
    assert got == expected
    low, high = fault.retry_after
    assert low <= got.retry_after <= high
    # The server-owned message exists and never falls back to an unknown provider.
    assert got.message
    assert "the ai provider" not in got.message.lower()
