"""Run a chat runner worker: claims queued turns and runs them (scale-out topology)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from prometheus_client import start_http_server

from chatcore.metrics import default_retry_metrics
from chatcore.runner.series import declare_known_series
from chatcore.runner.service import build_runner

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run a chat runner worker until SIGTERM/SIGINT; its leases are released on exit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=int(os.environ.get("CHATD_METRICS_PORT", "0")),
            help="Serve Prometheus metrics (chatd_* series, docs/operations.md) "
            "on this port; 0 (the default, or CHATD_METRICS_PORT) serves none.",
        )
        parser.add_argument(
            "--metrics-addr",
            default=os.environ.get("CHATD_METRICS_ADDR", "127.0.0.1"),
            help="Address of the metrics listener (default 127.0.0.1, or CHATD_METRICS_ADDR).",
        )
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
        if options["metrics_port"]:
            # Turns run here, not in the web processes: their counters live here too,
            # each configured provider's at 0 from the start.
            declare_known_series(default_retry_metrics())
            start_http_server(options["metrics_port"], addr=options["metrics_addr"])
            self.stdout.write(
                f"metrics on http://{options['metrics_addr']}:{options['metrics_port']}/metrics"
            )
        asyncio.run(_serve())


async def _serve() -> None:
    runner = build_runner()
    task = asyncio.create_task(runner.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    loop.add_signal_handler(signal.SIGUSR1, _dump_tasks)
    try:
        await task
    except asyncio.CancelledError:
        # Our own shutdown signal: the runner released its leases on the way out.
        if not task.cancelled():
            raise


def _dump_tasks() -> None:
    """SIGUSR1: log where every task of the runner is waiting (for a stuck turn)."""
    for task in asyncio.all_tasks():
        stack = io.StringIO()
        task.print_stack(limit=12, file=stack)
        log.warning("task %s:\n%s", task.get_name(), stack.getvalue())
