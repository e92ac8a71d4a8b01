"""The gallery's public names are listed in `__all__` and re-exported by the package."""

from __future__ import annotations

import importlib
import inspect

import pytest

import chatui.gallery

MODULES = ["checks", "dom", "fixtures", "stories", "views"]


@pytest.mark.parametrize("name", MODULES)
def test_module_all_is_complete(name: str) -> None:
    module = importlib.import_module(f"chatui.gallery.{name}")
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__)
    assert all(hasattr(module, attr) for attr in module.__all__)


def test_package_reexports_what_callers_need() -> None:
    for attr in chatui.gallery.__all__:
        assert hasattr(chatui.gallery, attr)
    for name in ["checks", "fixtures", "stories"]:
        module = importlib.import_module(f"chatui.gallery.{name}")
        assert set(module.__all__) - {"CHECK_KINDS", "parse_check", "stories_path"} <= set(
            chatui.gallery.__all__
        )
