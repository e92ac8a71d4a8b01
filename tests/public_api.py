"""The shared check that a module's `__all__` is complete (STYLE: public names are explicit)."""

from __future__ import annotations

import importlib
import inspect


def assert_all_is_complete(name: str) -> None:
    """Every name in `__all__` exists, and every public class/function defined here is in it."""
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
    assert defined_here <= exported, defined_here - exported
