"""Logging pieces the settings wire in: a JSON formatter, and the fake provider's access lines.

* ``JsonFormatter``: one JSON object per line for log shippers
  (``CHAT_LOG_FORMAT=json``): time, level, logger, message, the record's
  structured fields (``chat``, ``attempt``, ``kind``, ``status``, ``provider``
  ... passed as ``extra``) and the traceback when there is one.
* ``FakeProviderAnswers``: the development server logs every 5xx response at
  ERROR. The fake provider mounted at ``/fake/`` answers 529 and 503 on purpose
  (the demo's scripted failures); those lines are the *provider's* side of a
  failure the runner handles and reports itself (one WARNING), not our fault,
  so they are lowered to INFO.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

__all__ = ["FakeProviderAnswers", "JsonFormatter"]

# What every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(
    set(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {"message", "asctime"}
)
_FAKE_MOUNT = "/fake/"


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class FakeProviderAnswers(logging.Filter):
    """Lower the access lines of the fake provider's scripted failures to INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        details = record.args if isinstance(record.args, dict) else None
        path = details.get("path") if details else None
        if isinstance(path, str) and path.startswith(_FAKE_MOUNT) and record.levelno > logging.INFO:
            record.levelno, record.levelname = logging.INFO, "INFO"
            # A logger set to WARNING has already let it through: drop it here instead.
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True
