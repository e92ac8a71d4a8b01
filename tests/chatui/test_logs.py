"""The log settings: our faults at ERROR, the provider's scripted ones not; quiet HTTP
clients; and one JSON object per line for log shippers (CHAT_LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from chatui.logs import FakeProviderAnswers, JsonFormatter
from tests.conftest import ROOT

ACCESS = "HTTP %(method)s %(path)s %(status)s [%(time_taken).2f, %(client)s]"


def _access(path: str, status: int) -> logging.LogRecord:
    details = {
        "method": "POST",
        "path": path,
        "status": status,
        "time_taken": 0.01,
        "client": "127.0.0.1:1",
    }
    return logging.LogRecord(
        "django.channels.server", logging.ERROR, __file__, 1, ACCESS, (details,), None
    )


@pytest.mark.parametrize(
    ("path", "status", "kept_at"),
    [
        pytest.param("/fake/openai/v1/chat/completions", 529, None, id="fake_provider_529_is_not_an_error"),
        pytest.param("/fake/anthropic/v1/messages", 503, None, id="fake_provider_503_is_not_an_error"),
        pytest.param("/api/chats/7/messages/", 500, logging.ERROR, id="our_own_500_stays_an_error"),
        pytest.param("/fakes-are-not-the-mount/", 500, logging.ERROR, id="only_the_mount_point"),
    ],
)  # fmt: skip
def test_the_fake_providers_scripted_failures_are_not_errors(
    path: str, status: int, kept_at: int | None
) -> None:
    logger = logging.getLogger("django.channels.server")
    record = _access(path, status)
    kept = FakeProviderAnswers().filter(record)
    if kept_at is None:
        assert record.levelno == logging.INFO
        assert kept is logger.isEnabledFor(logging.INFO)
    else:
        assert (kept, record.levelno) == (True, kept_at)


def test_the_settings_quieten_http_clients_and_filter_the_access_log() -> None:
    for name in ("httpx", "httpcore", "httpx2", "httpcore2"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    server = logging.getLogger("django.channels.server")
    assert any(isinstance(f, FakeProviderAnswers) for f in server.filters)


def test_json_lines_carry_the_structured_fields() -> None:
    record = logging.LogRecord(
        "chatcore.runner.turn",
        logging.WARNING,
        __file__,
        1,
        "provider failure: chat=%s",
        (7,),
        None,
    )
    record.__dict__.update(chat=7, attempt=2, kind="overloaded", status=529, provider="demo")
    line = json.loads(JsonFormatter().format(record))
    assert {k: line[k] for k in ("level", "logger", "message", "chat", "attempt", "kind", "status", "provider")} == {
        "level": "WARNING", "logger": "chatcore.runner.turn", "message": "provider failure: chat=7",
        "chat": 7, "attempt": 2, "kind": "overloaded", "status": 529, "provider": "demo",
    }  # fmt: skip
    assert line["time"].endswith("+00:00")


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CHAT_", "DATABASE_"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "chatui.settings",
            "DJANGO_SECRET_KEY": "k" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_chat_log_format_json_makes_every_line_json() -> None:
    done = _python(
        "import django, logging; django.setup(); "
        "logging.getLogger('chatcore.runner.turn').warning('x', extra={'chat': 3})",
        CHAT_LOG_FORMAT="json",
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert json.loads(line)["chat"] == 3


def test_an_unknown_log_format_is_a_clear_startup_error() -> None:
    done = _python("import django; django.setup()", CHAT_LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "CHAT_LOG_FORMAT must be 'plain' or 'json'" in done.stderr
