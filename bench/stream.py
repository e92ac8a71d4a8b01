"""How much the provider adapters cost per token, next to the raw SDKs they wrap.

Run: ``.venv/bin/python bench/stream.py`` (``--tokens``, ``--rounds``, ``--api``).

The fake provider runs as a separate process (``python -m chatcore.fakeprovider``)
on loopback and streams N tokens as fast as it can. For each API the same
request is read alternately with the raw SDK (``create(stream=True)``, keeping
only the text deltas) and through our adapter, in the same run. Printed per API:

* tokens/s for each (best round: the least disturbed by the other processes on
  the machine), and the ratio adapter/raw (target >= 0.9): the median of the
  ratios of back-to-back pairs of rounds, which share the machine's load;
* client CPU microseconds per token for each (``time.process_time``): the server
  runs in another process, so this is the client's own cost even when the
  server, not the client, limits the wall-clock rate.

Every round checks that the received text is exactly what the fake sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anthropic
import openai

from chatcore.fakeprovider.text import token_text
from chatcore.providers import (
    Adapter,
    Message,
    ProviderConfig,
    TextDelta,
    TurnRequest,
    build_adapter,
)
from tests.fakeserver import FakeProviderProcess

MODEL = "bench-model"
KEY = "sk-bench"
TIMEOUT = 120.0


@dataclass(frozen=True)
class Round:
    tokens: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.tokens / self.wall

    @property
    def cpu_us_per_token(self) -> float:
        return self.cpu / self.tokens * 1e6


async def _timed(read: Callable[[], Awaitable[list[str]]], expected: str) -> Round:
    wall, cpu = time.perf_counter(), time.process_time()
    texts = await read()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if "".join(texts) != expected:
        raise SystemExit(f"wrong text received ({len(texts)} deltas)")
    return Round(len(texts), wall, cpu)


async def _raw_chat(client: openai.AsyncOpenAI, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=headers,
    )
    async for chunk in stream:
        if chunk.choices:
            text = chunk.choices[0].delta.content
            if text:
                texts.append(text)
    return texts


async def _raw_responses(client: openai.AsyncOpenAI, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    stream = await client.responses.create(
        model=MODEL, input=[{"role": "user", "content": "go"}], stream=True, extra_headers=headers
    )
    async for event in stream:
        if event.type == "response.output_text.delta":
            texts.append(event.delta)
    return texts


async def _raw_anthropic(client: anthropic.AsyncAnthropic, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    stream = await client.messages.create(
        model=MODEL,
        max_tokens=4096,
        messages=[{"role": "user", "content": "go"}],
        stream=True,
        extra_headers=headers,
    )
    async for event in stream:
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            texts.append(event.delta.text)
    return texts


async def _through(adapter: Adapter, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    request = TurnRequest(model=MODEL, messages=(Message("user", "go"),), extra_headers=headers)
    parts: AsyncIterator[Any] = adapter.stream(request)
    async for part in parts:
        if type(part) is TextDelta:
            texts.append(part.text)
    return texts


async def _bench_api(api: str, fake: FakeProviderProcess, tokens: int, rounds: int) -> float:
    headers = {"X-Fake-Scenario": json.dumps({"kind": "ok", "tokens": tokens, "rate": 0})}
    expected = token_text(tokens)
    if api == "anthropic":
        base_url, kind = fake.anthropic_base_url, "anthropic"
        raw_client: Any = anthropic.AsyncAnthropic(
            api_key=KEY, base_url=base_url, timeout=TIMEOUT, max_retries=0
        )
        raw = _raw_anthropic
    else:
        base_url = fake.openai_base_url
        kind = "openai-responses" if api == "responses" else "openai"
        raw_client = openai.AsyncOpenAI(
            api_key=KEY, base_url=base_url, timeout=TIMEOUT, max_retries=0
        )
        raw = _raw_responses if api == "responses" else _raw_chat
    adapter = build_adapter(
        ProviderConfig(kind=kind, name=api, base_url=base_url, api_key=KEY, timeout=TIMEOUT)
    )
    try:
        # One untimed warm-up each: connection set-up and first-use imports.
        await raw(raw_client, headers)
        await _through(adapter, headers)
        raw_rounds, ours = [], []
        for index in range(rounds):
            # Back-to-back pairs see the same machine load; alternating which side goes
            # first cancels any advantage of going first or second.
            pair = [
                lambda: _timed(lambda: raw(raw_client, headers), expected),
                lambda: _timed(lambda: _through(adapter, headers), expected),
            ]
            first, second = pair if index % 2 == 0 else pair[::-1]
            a, b = await first(), await second()
            raw_round, our_round = (a, b) if index % 2 == 0 else (b, a)
            raw_rounds.append(raw_round)
            ours.append(our_round)
    finally:
        await raw_client.close()
        await adapter.aclose()
    best_raw = max(raw_rounds, key=lambda r: r.rate)
    best_ours = max(ours, key=lambda r: r.rate)
    # The ratio is the median over pairs, not best vs best: a busy machine slows whole
    # stretches of the run, and only rounds run side by side are comparable.
    ratio = statistics.median(o.rate / r.rate for o, r in zip(ours, raw_rounds, strict=True))
    cpu_raw = min(r.cpu_us_per_token for r in raw_rounds)
    cpu_ours = min(r.cpu_us_per_token for r in ours)
    print(
        f"{api:<10} raw {best_raw.rate:>9,.0f} tok/s   adapter {best_ours.rate:>9,.0f} tok/s   "
        f"ratio {ratio:.3f}   client CPU {cpu_raw:.1f} vs {cpu_ours:.1f} us/token "
        f"(ratio {cpu_raw / cpu_ours:.3f})"
    )
    return ratio


async def _main(apis: list[str], tokens: int, rounds: int) -> int:
    # Wall-clock rates suffer when other processes compete for the CPU; the client CPU
    # figures do not. The load average tells the reader which to trust on this run.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{tokens:,} tokens per stream, {rounds} alternating pairs of rounds, fake provider in a subprocess"
    )
    async with FakeProviderProcess() as fake:
        ratios = [await _bench_api(api, fake, tokens, rounds) for api in apis]
    worst = min(ratios)
    print(f"worst ratio {worst:.3f} (target >= 0.9): {'ok' if worst >= 0.9 else 'BELOW TARGET'}")
    return 0 if worst >= 0.9 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tokens", type=int, default=20_000, help="tokens per stream (default 20000)"
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per side (default 7)")
    parser.add_argument(
        "--api",
        choices=("chat", "responses", "anthropic", "all"),
        default="all",
        help="which API to measure (default all)",
    )
    args = parser.parse_args()
    apis = ["chat", "responses", "anthropic"] if args.api == "all" else [args.api]
    raise SystemExit(asyncio.run(_main(apis, args.tokens, args.rounds)))


if __name__ == "__main__":
    main()
