"""The admin modules list their public names in `__all__`; the package re-exports them."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "chatui.admin.chats",
    "chatui.admin.filters",
    "chatui.admin.providers",
    "chatui.admin.rendering",
]


@pytest.mark.parametrize("name", [*MODULES, "chatui.admin"])
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, attr) for attr in exported)
    defined_here = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined_here <= exported


def test_package_reexports_every_module_name() -> None:
    package = importlib.import_module("chatui.admin")
    for name in MODULES:
        assert set(importlib.import_module(name).__all__) <= set(package.__all__)
