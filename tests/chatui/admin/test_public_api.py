"""`chatui.admin` lists its public names in `__all__`."""

from __future__ import annotations

import inspect

from chatui import admin as chat_admin


def test_all_is_complete() -> None:
    exported = set(chat_admin.__all__)
    assert all(hasattr(chat_admin, name) for name in exported)
    defined_here = {
        name
        for name, value in vars(chat_admin).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == chat_admin.__name__
    }
    assert defined_here <= exported
