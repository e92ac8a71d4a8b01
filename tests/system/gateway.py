"""LiteLLM's proxy, for real, between our OpenAI-compatible adapter and the fake provider.

``LiteLLMProxy`` runs the proxy installed in ``.venv-litellm`` (``scripts/setup.sh
--browser`` installs ``requirements-litellm.txt`` there) as a subprocess on a
loopback port, with one model per scripted fault: each model's upstream is the
fake provider, and its ``X-Fake-Scenario`` header (``extra_headers``) scripts
what the fake answers. The gateway's own retries are off (``num_retries: 0``,
the OpenAI client's ``max_retries: 0``), so what our classifier sees is one
upstream answer as the gateway relays it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.fakeserver import free_port

__all__ = ["FAULTS", "LITELLM", "LiteLLMProxy", "config_text"]

ROOT = Path(__file__).resolve().parents[2]
LITELLM = ROOT / ".venv-litellm" / "bin" / "litellm"

# Model name -> the fake provider's scripted outcome for it.
FAULTS: dict[str, dict[str, Any]] = {
    "gw-ok": {"kind": "ok", "tokens": 6},
    "gw-rate-limit": {"kind": "rate_limit", "retry_after": 7},
    "gw-rate-limit-ms": {"kind": "rate_limit", "retry_after_ms": 2500},
    "gw-overloaded": {"kind": "overloaded"},
    "gw-disabled": {"kind": "provider_disabled"},
    "gw-quota": {"kind": "insufficient_quota"},
    "gw-auth": {"kind": "auth"},
    "gw-context": {"kind": "context_length"},
    "gw-truncated": {"kind": "truncate", "after": 3},
    "gw-reset": {"kind": "reset", "after": 3},
    "gw-reset-at-once": {"kind": "reset", "after": 0},
    "gw-in-stream-error": {"kind": "stream_error", "after": 2, "error": "server_error"},
}


def config_text(upstream: str) -> str:
    """The proxy's config: one model per fault, retries off, no database, no telemetry."""
    models = [
        {
            "model_name": name,
            "litellm_params": {
                "model": f"openai/{name}",
                "api_base": upstream,
                "api_key": "sk-fake-upstream-0000",
                "max_retries": 0,
                "extra_headers": {"X-Fake-Scenario": json.dumps([outcome])},
            },
        }
        for name, outcome in FAULTS.items()
    ]
    config = {
        "model_list": models,
        "litellm_settings": {"num_retries": 0, "request_timeout": 30, "telemetry": False},
        "router_settings": {"num_retries": 0},
    }
    return json.dumps(config, indent=2)  # JSON is YAML


class LiteLLMProxy:
    """``litellm --config`` on a free loopback port; ``base_url`` is its OpenAI endpoint."""

    def __init__(self, workdir: Path, upstream: str) -> None:
        self.workdir = workdir
        self.upstream = upstream
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "litellm.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, *, timeout: float = 120.0) -> None:
        config = self.workdir / "litellm.yaml"
        config.write_text(config_text(self.upstream))
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OPENAI_", "ANTHROPIC_", "LITELLM_", "DATABASE_"))
            and key.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
        }
        env.update(NO_PROXY="127.0.0.1,localhost", LITELLM_LOG="ERROR", PYTHONUNBUFFERED="1")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    *(str(LITELLM), "--config", str(config)),
                    *("--host", "127.0.0.1", "--port", str(self.port), "--num_workers", "1"),
                ],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"litellm exited {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/health/liveliness", timeout=2
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"litellm did not answer within {timeout:g}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""
