"""Run a chat runner worker: claims queued turns and runs them (scale-out topology)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatcore.runner.service import build_runner


class Command(BaseCommand):
    help = "Run a chat runner worker until SIGTERM/SIGINT; its leases are released on exit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-memory-layer",
            action="store_true",
            help="Run even with the in-memory channel layer (only useful in tests: "
            "no web process can reach this worker then).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if "InMemory" in backend and not options["allow_memory_layer"]:
            raise CommandError(
                "chatd needs a shared channel layer: set REDIS_URL (the in-memory layer "
                "only reaches the process it lives in; the embedded default runs the "
                "runner inside the web server instead)."
            )
        asyncio.run(_serve())


async def _serve() -> None:
    runner = build_runner()
    task = asyncio.create_task(runner.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        # Our own shutdown signal: the runner released its leases on the way out.
        if not task.cancelled():
            raise
