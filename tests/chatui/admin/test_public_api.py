"""The admin modules list their public names in `__all__`; the package re-exports them."""

from __future__ import annotations

import importlib

import pytest

from tests.public_api import assert_all_is_complete

MODULES = [
    "chatui.admin.chats",
    "chatui.admin.filters",
    "chatui.admin.health",
    "chatui.admin.health_charts",
    "chatui.admin.providers",
    "chatui.admin.rendering",
]


@pytest.mark.parametrize("name", [*MODULES, "chatui.admin"])
def test_all_is_complete(name: str) -> None:
    assert_all_is_complete(name)


def test_package_reexports_every_module_name() -> None:
    package = importlib.import_module("chatui.admin")
    for name in MODULES:
        assert set(importlib.import_module(name).__all__) <= set(package.__all__)
