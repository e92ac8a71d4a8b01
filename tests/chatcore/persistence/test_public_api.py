"""Every public name of the persistence and chats modules is listed in `__all__`, and exists."""

from __future__ import annotations

import importlib

import pytest

from tests.public_api import assert_all_is_complete

MODULES = [
    "chatcore.keys",
    "chatcore.contract",
    "chatcore.chats",
    "chatcore.chats.commands",
    "chatcore.chats.lifecycle",
    "chatcore.chats.listing",
    "chatcore.chats.manage",
    "chatcore.chats.messaging",
    "chatcore.chats.service",
    "chatcore.chats.summary",
    "chatcore.chats.titles",
    "chatcore.chats.validation",
    "chatcore.models",
    "chatcore.models.chat",
    "chatcore.models.message",
    "chatcore.models.provider",
    "chatcore.models.retry_event",
    "chatcore.models.usage",
    "chatcore.chats.admission",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    assert_all_is_complete(name)


def test_models_package_reexports_every_submodule_name() -> None:
    package = importlib.import_module("chatcore.models")
    for name in MODULES:
        if name.startswith("chatcore.models."):
            assert set(importlib.import_module(name).__all__) <= set(package.__all__)
