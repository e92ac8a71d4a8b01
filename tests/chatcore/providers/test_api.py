"""The public surface of chatcore.providers, and no Django underneath."""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chatcore.providers
from chatcore.providers import Finish, Message, TextDelta, TurnRequest, Usage

ROOT = Path(__file__).resolve().parents[3]
PUBLIC_MODULES = [
    "chatcore.providers.anthropic_messages",
    "chatcore.providers.build",
    "chatcore.providers.errors",
    "chatcore.providers.openai_chat",
    "chatcore.providers.openai_responses",
    "chatcore.providers.types",
]
# The names the runner relies on (the fixed interface of issue 5).
INTERFACE = {
    "Adapter",
    "Finish",
    "Message",
    "Part",
    "ProviderConfig",
    "TextDelta",
    "TurnRequest",
    "Usage",
    "build_adapter",
}


def test_the_interface_is_importable_from_the_package() -> None:
    assert set(chatcore.providers.__all__) >= INTERFACE
    for name in chatcore.providers.__all__:
        assert getattr(chatcore.providers, name) is not None


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_of_a_module_is_re_exported(module: str) -> None:
    names = set(importlib.import_module(module).__all__)
    assert names <= set(chatcore.providers.__all__)


def test_no_django_is_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        import chatcore.providers
        assert "django" not in sys.modules, sorted(m for m in sys.modules if "django" in m)
        """
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


@pytest.mark.parametrize(
    "value",
    [
        Message("user", "hi"),
        TurnRequest("m", (Message("user", "hi"),)),
        TextDelta("x"),
        Usage(1, 2),
        Finish("id", Usage(1, 2), "stop"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_values_are_frozen(value: object) -> None:
    field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_a_request_without_headers_shares_no_mutable_state() -> None:
    request = TurnRequest("m", ())
    with pytest.raises(TypeError):
        request.extra_headers["X-Leak"] = "1"  # type: ignore[index]
    assert dict(TurnRequest("m", ()).extra_headers) == {}
