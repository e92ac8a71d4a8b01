"""Prepare the embedded default and serve the app on loopback: the newcomer's one command."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate the embedded database, create the demo data and serve on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=8000, help="Loopback port to serve on (default 8000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"Serving the demo on http://127.0.0.1:{options['port']}/")
        call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)
