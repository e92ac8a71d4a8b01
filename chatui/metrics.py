"""Prometheus metrics of the web process: its chat sockets and their resynchronisations.

The runner's metrics are in ``chatcore.metrics``; both are served at ``/metrics``
(docs/operations.md lists every series with example queries).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ["OPEN_SOCKETS", "PAGE_RESYNCS", "RESYNC_REASONS"]

RESYNC_REASONS = ("gap", "watchdog")

# Pages that missed live events and rebuilt themselves from a snapshot: a Redis
# restart, or a process that fell behind its channel layer (docs/operations.md).
PAGE_RESYNCS = Counter(
    "chat_page_resyncs_total",
    "Live chat pages that missed events and took a snapshot: a gap in the event "
    "sequence, or the watchdog finding an active turn silent.",
    ["reason"],
)
for _reason in RESYNC_REASONS:
    PAGE_RESYNCS.labels(reason=_reason)  # exported at 0 before the first one

OPEN_SOCKETS = Gauge(
    "chat_open_sockets",
    "Chat page websockets this web process holds open (authorised, on their chat).",
)
