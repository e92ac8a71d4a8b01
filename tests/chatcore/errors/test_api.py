"""The public surface: complete `__all__`, frozen values, no Django anywhere below."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import chatcore.errors as errors

ROOT = Path(__file__).resolve().parents[3]
ISSUE_NAMES = {
    "ErrorKind", "ProviderError", "ProviderTransportReset", "ClassifiedError", "classify",
    "with_classification", "terminal_message", "retry_message", "provider_display_name", "kind_label",
}  # fmt: skip


def test_all_lists_the_issue_api_and_every_public_name() -> None:
    assert set(errors.__all__) >= ISSUE_NAMES
    public = {name for name in vars(errors) if not name.startswith("_")}
    submodules = {m.name for m in pkgutil.iter_modules(errors.__path__)}
    assert public - submodules - {"annotations"} == set(errors.__all__)
    for name in errors.__all__:
        assert getattr(errors, name) is not None


@pytest.mark.parametrize("module", sorted(m.name for m in pkgutil.iter_modules(errors.__path__)))
def test_every_module_declares_all(module: str) -> None:
    loaded = importlib.import_module(f"chatcore.errors.{module}")
    declared = set(loaded.__all__)
    assert declared and all(hasattr(loaded, name) for name in declared)


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


def test_importing_the_classifier_imports_no_django() -> None:
    code = (
        "import sys, chatcore.errors, pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(chatcore.errors.__path__):\n"
        "    importlib.import_module('chatcore.errors.' + m.name)\n"
        "chatcore.errors.classify('status 503')\n"
        "assert not any(n == 'django' or n.startswith('django.') for n in sys.modules), 'django'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
