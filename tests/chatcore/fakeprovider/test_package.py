"""The package's public surface, its independence from Django, and the as-fast-as-possible path."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import time

import pytest

import chatcore.fakeprovider
from chatcore.fakeprovider import create_app, token_text

MODULES = sorted(
    f"chatcore.fakeprovider.{info.name}"
    for info in pkgutil.iter_modules(chatcore.fakeprovider.__path__)
    if info.name != "__main__"
)


def defined_public_names(module) -> set[str]:
    """Top-level names a module defines itself (not imports), without a leading underscore."""
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


@pytest.mark.parametrize("name", MODULES)
def test_every_module_lists_exactly_its_public_names(name):
    module = importlib.import_module(name)

    assert set(module.__all__) == defined_public_names(module)


def test_package_exports_resolve():
    assert all(hasattr(chatcore.fakeprovider, name) for name in chatcore.fakeprovider.__all__)


def test_no_django_in_a_fresh_interpreter():
    code = (
        "import sys, chatcore.fakeprovider, tests.fakeserver, chatcore.fakeprovider.__main__;"
        "print('django' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert shown.stdout.strip() == "False"


async def test_rate_zero_streams_20000_tokens_in_few_large_writes():
    app = create_app()
    body = json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": "go"}], "stream": True}
    ).encode()
    scenario = json.dumps([{"kind": "ok", "tokens": 20_000}]).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/openai/v1/chat/completions",
        "headers": [(b"x-fake-scenario", scenario)],
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    finished = asyncio.Event()
    sent: list[dict] = []

    async def receive():
        if incoming:
            return incoming.pop()
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    start = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - start

    payload = b"".join(message.get("body", b"") for message in sent[1:])
    deltas = [
        json.loads(line[6:])["choices"][0]["delta"].get("content", "")
        for line in payload.decode().split("\n\n")
        if line.startswith("data: {")
    ]
    assert "".join(deltas) == token_text(20_000)
    assert len(sent) - 1 <= len(payload) // (64 * 1024) + 2
    assert elapsed < 2.0, f"generating 20,000 tokens took {elapsed:.2f}s"
