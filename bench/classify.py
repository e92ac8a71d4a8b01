"""What `classify` costs next to a minimal floor, on errors as production raises them.

Run: ``.venv/bin/python bench/classify.py`` (``--repeat``, ``--rounds``, ``--profile``).

The corpus is captured, not written: the fake provider runs as a separate
process (``python -m chatcore.fakeprovider``) and our four adapters (OpenAI
Chat Completions, OpenAI Responses, Anthropic Messages, OpenAI-compatible)
call it through the real ``openai`` and ``anthropic`` SDKs. Every scripted
fault (each error preset at several statuses and retry hints, real provider
bodies replayed with their statuses, in-stream error events, router errors
inside a 200, safety stops, truncations, connection resets, a refused
connection, a stalled read) is raised by the SDK and converted at our adapter
boundary exactly as in production: each item is the exception a turn's retry
loop receives, with its whole chain (our `ProviderError`, the SDK's exception,
the httpx2 / httpcore errors underneath).

For every item, in the same run and in alternating rounds, two timings:

* ``classify(item)``: everything a classification costs, the chain walk, body
  parsing, Retry-After, the rules, the messages and the redaction;
* the *floor*: the cheapest classifier that could work at all: ``str()`` of the
  error, lower-cased, searched once with one small precompiled alternation of
  the key phrases (the first match is the answer).

Each timing is the median of ``--rounds`` rounds of ``--repeat`` calls, in CPU
time of this process (``time.process_time``: on a shared machine, time spent
descheduled is nobody's cost); printed are the medians over the items and their
ratio (target: classify <= 25x the floor), per group and overall, and the
median of the per-item ratios.
Nothing here imports LiteLLM.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatcore.errors import ErrorKind, classify
from chatcore.providers import Message, ProviderConfig, TurnRequest, build_adapter
from tests.fakeserver import FakeProviderProcess, free_port

TARGET = 25.0
KEY = "sk-bench-0123456789abcdef"
MODEL = "bench-model"

# The minimal floor: a handful of key phrases, one search, first match wins.
FLOOR = re.compile(
    r"overload|rate.?limit|too many requests|quota|billing|unauthori|invalid.?api.?key"
    r"|forbidden|permission|provider_disabled|timed? ?out|unavailable|connection|reset"
    r"|content.?filter|safety|context.?length|too long|not found|server.?error"
)

# (kind, wire format, label of the adapter)
APIS = (
    ("openai", "chat"),
    ("openai-responses", "responses"),
    ("anthropic", "anthropic"),
    ("openai-compatible", "chat"),
)

PRESETS = (
    "rate_limit",
    "overloaded",
    "provider_disabled",
    "insufficient_quota",
    "auth",
    "model_not_found",
    "context_length",
    "content_filter",
    "server_error",
    "unavailable",
    "bad_gateway",
)


def _preset_outcomes() -> list[dict[str, Any]]:
    outcomes: list[dict[str, Any]] = [{"kind": name} for name in PRESETS]
    outcomes += [
        {"kind": "rate_limit", "retry_after": 7},
        {"kind": "rate_limit", "retry_after_ms": 1500},
        {"kind": "rate_limit", "retry_after": 7200},
        {"kind": "overloaded", "retry_after": 3},
        {"kind": "unavailable", "retry_after_date": 30},
        {"kind": "server_error", "message": "The server had an error processing your request."},
        {"kind": "auth", "status": 403, "message": "You do not have access to this model."},
    ]
    return outcomes


# Real provider bodies, replayed with their statuses: what an SDK raises for them.
_BODIES: list[tuple[int, dict[str, str], object]] = [
    (429, {"retry-after": "20"}, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}),
    (503, {}, {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}),
    (400, {}, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}),
    (404, {}, {"error": {"code": 404, "message": "models/gemini-9 is not found for API version v1beta.", "status": "NOT_FOUND"}}),
    (400, {}, {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", "type": None, "param": "prompt", "code": "content_filter", "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation"}}}),
    (429, {"retry-after": "6"}, {"error": {"code": "429", "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."}}),
    (402, {}, {"error": {"code": 402, "message": "This request requires more credits, or fewer max_tokens."}}),
    (404, {}, {"error": 'model "llama3" not found, try pulling it first'}),
    (400, {}, {"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens. Please reduce the length of the messages.", "type": "BadRequestError", "code": 400}),
    (422, {}, {"error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`", "error_type": "validation"}),
    (500, {}, {"error": {"message": "upstream returned status 500: context canceled", "type": "upstream_error"}}),
    (502, {}, {"error": {"message": "stream error: stream ID 5; INTERNAL_ERROR; received from peer", "type": "bad_gateway"}}),
    (400, {}, {"message": "The provided model identifier is invalid."}),
    (429, {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}, {"message": "Too many requests, please wait before trying again."}),
    (401, {}, {"error": {"message": "Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "code": "invalid_api_key"}}),
    (400, {}, {"error": {"message": "Invalid 'temperature': decimal above maximum value.", "type": "invalid_request_error", "param": "temperature", "code": "decimal_above_max_value"}}),
]  # fmt: skip


def _status_outcomes() -> list[dict[str, Any]]:
    outcomes = [
        {"kind": "status", "status": status, "headers": headers, "body": body}
        for status, headers, body in _BODIES
    ]
    outcomes.append(
        {
            "kind": "status",
            "status": 504,
            "raw": "<html><head><title>504 Gateway Time-out</title></head></html>",
            "content_type": "text/html",
        }
    )
    return outcomes


def _router_chunk(error: dict[str, Any] | None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": {"content": ""}, "finish_reason": "error"}
    if error is not None:
        choice["error"] = error
    return {"id": "gen-1", "object": "chat.completion.chunk", "created": 1, "choices": [choice]}


def _stream_outcomes(wire: str) -> list[dict[str, Any]]:
    outcomes: list[dict[str, Any]] = [
        {"kind": "truncate", "after": 3},
        {"kind": "truncate", "after": 0},
        {"kind": "reset", "after": 2},
        {"kind": "reset", "after": 0},
        {"kind": "refusal", "after": 2},
    ]
    for preset in ("overloaded", "rate_limit", "server_error", "insufficient_quota"):
        outcomes.append({"kind": "stream_error", "after": 2, "error": preset})
    if wire == "chat":
        outcomes += [
            {"kind": "stream_error", "after": 2, "body": _router_chunk({"code": 429, "message": "Rate limit exceeded"})},
            {"kind": "stream_error", "after": 2, "body": _router_chunk({"code": 502, "message": "Provider returned error"})},
            {"kind": "stream_error", "after": 2, "body": _router_chunk(None)},
            {"kind": "stream_error", "after": 2, "body": {"error": {"message": "An error occurred. You can retry your request."}}},
        ]  # fmt: skip
    if wire == "responses":
        outcomes.append({"kind": "previous_response_not_found"})
        outcomes.append(
            {"kind": "stream_error", "after": 2, "error": "rate_limit", "event": "error"}
        )
    return outcomes


async def _raise(adapter: Any, outcome: dict[str, Any] | None) -> BaseException | None:
    headers = {"X-Fake-Scenario": json.dumps([outcome])} if outcome else {}
    request = TurnRequest(
        model=MODEL, messages=(Message("user", "Hello there"),), extra_headers=headers
    )
    try:
        async for _ in adapter.stream(request):
            pass
    except Exception as error:  # the raised exception is the corpus item
        return error
    return None


async def _capture(fake: FakeProviderProcess) -> list[tuple[str, BaseException]]:
    items: list[tuple[str, BaseException]] = []
    for kind, wire in APIS:
        base = fake.anthropic_base_url if wire == "anthropic" else fake.openai_base_url
        config = ProviderConfig(kind=kind, name=kind, base_url=base, api_key=KEY, timeout=10.0)
        adapter = build_adapter(config)
        try:
            for group, outcomes in (
                ("http", _preset_outcomes() + _status_outcomes()),
                ("stream", _stream_outcomes(wire)),
            ):
                for outcome in outcomes:
                    error = await _raise(adapter, outcome)
                    if error is not None:
                        items.append((group, error))
        finally:
            await adapter.aclose()
        for group, options in (
            ("transport", {"base_url": f"http://127.0.0.1:{free_port()}/v1"}),
            ("transport", {"timeout": 0.2}),
        ):
            adapter = build_adapter(dataclasses.replace(config, **options))
            stall = {"kind": "ok", "delay": 1.0} if "timeout" in options else None
            try:
                error = await _raise(adapter, stall)
            finally:
                await adapter.aclose()
            if error is not None:
                items.append((group, error))
    return items


def build_corpus() -> dict[str, list[BaseException]]:
    """The captured errors by group: HTTP error responses, faults inside a stream, transport."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)
    with FakeProviderProcess() as fake:
        items = asyncio.run(_capture(fake))
    corpus: dict[str, list[BaseException]] = {}
    for group, error in items:
        corpus.setdefault(group, []).append(error)
    return corpus


def floor(error: BaseException) -> object:
    """The minimal floor: the error's text, lower-cased, one search, the first match."""
    return FLOOR.search(str(error).lower())


def _time(fn: Callable[[], object], repeat: int) -> float:
    # CPU time of this process: the machine is shared, and time spent descheduled
    # is not the classifier's (it would fall mostly on the longer of the two timings).
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def measure(items: list[BaseException], repeat: int, rounds: int) -> list[tuple[float, float]]:
    """(classify, floor) seconds per call for each item: medians of alternating rounds."""
    timings = []
    for error in items:
        ours: list[float] = []
        base: list[float] = []
        for _ in range(rounds):
            ours.append(_time(partial(classify, error), repeat))
            base.append(_time(partial(floor, error), repeat))
        timings.append((statistics.median(ours), statistics.median(base)))
    return timings


def _report(group: str, timings: list[tuple[float, float]], target: float | None) -> bool:
    """Print one line of medians; False when the ratio misses its target."""
    ours = statistics.median(t[0] for t in timings)
    base = statistics.median(t[1] for t in timings)
    ratio = ours / base
    per_item = statistics.median(t[0] / t[1] for t in timings)
    ok = target is None or ratio <= target
    goal = f"(target <= {target:g}) {'ok' if ok else 'OVER TARGET'}" if target else ""
    print(
        f"{group:<10} n={len(timings):<4} classify {ours * 1e6:6.1f} µs   "
        f"floor {base * 1e6:5.2f} µs   ratio {ratio:5.1f}   per-item median {per_item:5.1f} "
        f"{goal}".rstrip()
    )
    return ok


def _profile(corpus: dict[str, list[BaseException]]) -> None:
    everything = [error for items in corpus.values() for error in items]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        for error in everything:
            classify(error)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100, help="calls per timing round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per item; the median counts")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of classify")
    args = parser.parse_args()
    corpus = build_corpus()
    total = sum(len(items) for items in corpus.values())
    kinds = {str(classify(e).kind) for items in corpus.values() for e in items}
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(
        f"corpus: {total} errors raised by the openai/anthropic SDKs through our adapters, "
        f"{len(kinds)} kinds ({', '.join(sorted(kinds))})"
    )
    assert total >= 150 and kinds <= {k.value for k in ErrorKind}
    assert "litellm" not in sys.modules
    if args.profile:
        _profile(corpus)
        return
    everything: list[tuple[float, float]] = []
    for group, items in corpus.items():
        timings = measure(items, args.repeat, args.rounds)
        everything.extend(timings)
        _report(group, timings, None)
    ok = _report("all", everything, TARGET)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
