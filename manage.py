#!/usr/bin/env python
"""Django's command-line utility for this project."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatui.settings")
    development = not os.environ.get("DJANGO_SECRET_KEY") and not os.environ.get("DATABASE_URL")
    if development:
        # The embedded default with no secret configured is a development setup:
        # every command (createsuperuser, shell, migrate ...) gets the development
        # settings `demo` and the development server get, a generated secret included,
        # instead of failing on the missing DJANGO_SECRET_KEY.
        os.environ.setdefault("DJANGO_DEBUG", "1")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        # The demo is the embedded default a newcomer runs: debug pages, a
        # generated dev secret, the demo user and the fake provider.
        os.environ.setdefault("DJANGO_DEBUG", "1")
        os.environ.setdefault("CHAT_DEMO", "1")
        # A short startup window, so `demo-slow-start` (first chunk after 8 s)
        # shows the startup timeout and its retry within seconds.
        os.environ.setdefault("CHAT_STARTUP_TIMEOUT", "5")
    from chatui.eventloop import install

    install()  # uvloop for runserver/demo (Daphne) and chatd, before any loop exists
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
