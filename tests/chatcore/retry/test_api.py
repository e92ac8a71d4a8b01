"""The public surface of chatcore.retry / chatcore.metrics, and no Django underneath."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chatcore.retry

ROOT = Path(__file__).resolve().parents[3]
SUBMODULES = [
    "chatcore.retry.buffer",
    "chatcore.retry.guard",
    "chatcore.retry.loop",
    "chatcore.retry.policy",
    "chatcore.metrics",
]
ISSUE_NAMES = {
    "RetryPolicy",
    "run_with_retry",
    "RetryGaveUp",
    "first_chunk_guard",
    "AttemptBuffer",
    "RetryMetrics",
}


def test_the_issue_api_is_importable_from_the_package() -> None:
    assert set(chatcore.retry.__all__) >= ISSUE_NAMES
    for name in chatcore.retry.__all__:
        assert getattr(chatcore.retry, name) is not None


@pytest.mark.parametrize("module", SUBMODULES)
def test_every_public_name_of_a_submodule_is_re_exported(module: str) -> None:
    names = importlib.import_module(module).__all__
    assert set(names) <= set(chatcore.retry.__all__)


def test_no_django_is_imported_by_the_retry_loop_or_the_metrics() -> None:
    # A fresh interpreter: in this one pytest-django has imported Django already.
    code = textwrap.dedent(
        """
        import sys
        import chatcore.retry, chatcore.metrics
        leaked = sorted(name for name in sys.modules if name.split(".")[0] == "django")
        assert not leaked, leaked
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
