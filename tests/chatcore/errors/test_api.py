"""The public values: the kinds, the frozen result, the exceptions callers raise.

The package's shape (`__all__`, private modules, no Django) is in `test_package`.
"""

from __future__ import annotations

import dataclasses

import pytest

import chatcore.errors as errors


def test_error_kind_values_are_the_spec_strings() -> None:
    assert {k.value for k in errors.ErrorKind} == {
        "overloaded", "rate_limit", "timeout", "startup_timeout", "auth", "config", "usage_limit",
        "missing_key", "provider_disabled", "context_length", "content_filter", "generic",
    }  # fmt: skip
    assert errors.ErrorKind.RATE_LIMIT == "rate_limit"


def test_classified_error_is_frozen() -> None:
    value = errors.ClassifiedError(kind=errors.ErrorKind.AUTH)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.kind = errors.ErrorKind.CONFIG  # type: ignore[misc]


def test_provider_error_keeps_its_facts() -> None:
    error = errors.ProviderError("m", status_code=503, headers={"A": "b"}, body=b"x", provider="p")
    assert (str(error), error.status_code, error.headers, error.body, error.provider) == (
        "m", 503, {"A": "b"}, b"x", "p",
    )  # fmt: skip


def test_deadline_exceeded_is_a_timeout_error() -> None:
    assert issubclass(errors.DeadlineExceeded, TimeoutError)
