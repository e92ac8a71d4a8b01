"""The chat UI modules list every public name they define in `__all__`."""

from __future__ import annotations

import pytest

from tests.public_api import assert_all_is_complete

MODULES = [
    "chatui.chat_actions",
    "chatui.chat_settings",
    "chatui.consumers",
    "chatui.forms",
    "chatui.live",
    "chatui.management.commands.demo",
    "chatui.sidebar",
    "chatui.sidebar_consumer",
    "chatui.views",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    assert_all_is_complete(name)
