"""The chat UI modules list every public name they define in `__all__`."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "chatui.consumers",
    "chatui.forms",
    "chatui.live",
    "chatui.management.commands.demo",
    "chatui.views",
]


@pytest.mark.parametrize("name", MODULES)
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
