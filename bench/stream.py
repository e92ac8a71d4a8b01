"""How much the provider adapters cost per token, next to the cheapest read of the same bytes.

Run: ``.venv/bin/python bench/stream.py`` (``--tokens``, ``--rounds``, ``--api``,
``--transport``).

The fake provider runs as a separate process (``python -m chatcore.fakeprovider``)
on loopback and streams N tokens as fast as it can. For each API and each HTTP
transport the SDKs support (``httpx``: their default httpx2 stack; ``aiohttp``:
their ``DefaultAioHttpClient``), the same request is read, round after round in
rotating order, by:

* the **floor** (``bench/floor.py``): the SDK's raw streaming response read as
  SSE lines with ``json.loads``, no event or chunk objects;
* our **adapter** (``build_adapter`` with that transport).

Printed per API: client CPU microseconds per token of each (``time.process_time``;
the server runs in another process, so this is the client's own cost even when the
server limits the wall-clock rate) and tokens/s, medians over rounds; then the
ratios floor/ours (the median of the per-round ratios, which share the machine's
load): CPU (target >= 0.9, against the cheaper floor of the two transports) and
wall clock; and what the aiohttp transport saves per token against httpx.

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

from bench.floor import FLOORS, sdk_client
from chatcore.fakeprovider.text import token_text
from chatcore.providers import (
    DEFAULT_TRANSPORT,
    HTTP_TRANSPORTS,
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


async def _through(adapter: Adapter, headers: dict[str, str]) -> list[str]:
    texts: list[str] = []
    request = TurnRequest(model=MODEL, messages=(Message("user", "go"),), extra_headers=headers)
    parts: AsyncIterator[Any] = adapter.stream(request)
    async for part in parts:
        if type(part) is TextDelta:
            texts.append(part.text)
    return texts


VARIANTS = (("floor", "httpx"), ("adapter", "httpx"), ("floor", "aiohttp"), ("adapter", "aiohttp"))


async def _bench_api(
    api: str, fake: FakeProviderProcess, tokens: int, rounds: int, transports: tuple[str, ...]
) -> float:
    headers = {"X-Fake-Scenario": json.dumps({"kind": "ok", "tokens": tokens, "rate": 0})}
    expected = token_text(tokens)
    base_url = fake.anthropic_base_url if api == "anthropic" else fake.openai_base_url
    kind = {"chat": "openai", "responses": "openai-responses", "anthropic": "anthropic"}[api]
    floor = FLOORS[api]
    readers: dict[tuple[str, str], Callable[[], Awaitable[list[str]]]] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    variants = [v for v in VARIANTS if v[1] in transports]
    for side, transport in variants:
        if side == "floor":
            client = sdk_client(api, transport, base_url=base_url, api_key=KEY, timeout=TIMEOUT)
            readers[side, transport] = lambda c=client: floor(c, headers)
            closers.append(client.close)
        else:
            adapter = build_adapter(
                ProviderConfig(
                    kind=kind,
                    name=api,
                    base_url=base_url,
                    api_key=KEY,
                    timeout=TIMEOUT,
                    transport=transport,  # type: ignore[arg-type]
                )
            )
            readers[side, transport] = lambda a=adapter: _through(a, headers)
            closers.append(adapter.aclose)
    results: dict[tuple[str, str], list[Round]] = {v: [] for v in variants}
    try:
        for read in readers.values():  # one untimed warm-up each: connections, imports
            await read()
        for index in range(rounds):
            # Rotating the order cancels any advantage of going first or last.
            order = variants[index % len(variants) :] + variants[: index % len(variants)]
            for variant in order:
                results[variant].append(await _timed(readers[variant], expected))
    finally:
        for close in closers:
            await close()

    def cpu(v: tuple[str, str]) -> float:
        return statistics.median(r.cpu_us_per_token for r in results[v])

    def rate(v: tuple[str, str]) -> float:
        return statistics.median(r.rate for r in results[v])

    def ratio(ours: tuple[str, str], base: tuple[str, str], of: str) -> float:
        pairs = zip(results[ours], results[base], strict=True)
        if of == "cpu":
            return statistics.median(b.cpu / o.cpu for o, b in pairs)
        return statistics.median(o.rate / b.rate for o, b in pairs)

    for variant in variants:
        print(
            f"{api:<10} {variant[0]:<8} {variant[1]:<8} {cpu(variant):7.1f} us/token   "
            f"{rate(variant):9,.0f} tok/s"
        )
    for transport in transports:
        ours, base = ("adapter", transport), ("floor", transport)
        print(
            f"{api:<10} adapter/floor on {transport:<8} CPU {ratio(ours, base, 'cpu'):.3f}   "
            f"wall {ratio(ours, base, 'wall'):.3f}"
        )
    cheapest = min((("floor", t) for t in transports), key=cpu)
    chosen = ("adapter", DEFAULT_TRANSPORT if DEFAULT_TRANSPORT in transports else transports[0])
    worst = ratio(chosen, cheapest, "cpu")
    print(
        f"{api:<10} adapter on {chosen[1]} / cheapest floor ({cheapest[1]}): CPU {worst:.3f}   "
        f"wall {ratio(chosen, cheapest, 'wall'):.3f}"
    )
    if len(transports) == 2:
        saved = ratio(("adapter", "aiohttp"), ("adapter", "httpx"), "cpu")
        print(
            f"{api:<10} adapter CPU per token, aiohttp vs httpx: {cpu(('adapter', 'aiohttp')):.1f} "
            f"vs {cpu(('adapter', 'httpx')):.1f} us (httpx/aiohttp {saved:.2f})"
        )
    return worst


async def _paced(
    api: str,
    fake: FakeProviderProcess,
    transports: tuple[str, ...],
    *,
    concurrent: int,
    rate: float,
    seconds: float,
    rounds: int,
) -> float:
    """Client CPU per token with ``concurrent`` streams at ``rate`` tokens/s each.

    A paced stream arrives one token per socket read, as in production (20 tokens/s
    per chat), where the unpaced rounds above read many tokens per read: this is the
    per-read cost a web or runner process pays at load.
    """
    tokens = max(1, int(rate * seconds))
    base_url = fake.anthropic_base_url if api == "anthropic" else fake.openai_base_url
    kind = {"chat": "openai", "responses": "openai-responses", "anthropic": "anthropic"}[api]
    variants = [v for v in VARIANTS if v[1] in transports]
    cpu: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    for index in range(rounds):
        order = variants[index % len(variants) :] + variants[: index % len(variants)]
        for side, transport in order:
            if side == "floor":
                client = sdk_client(api, transport, base_url=base_url, api_key=KEY, timeout=TIMEOUT)
                read, close = FLOORS[api], client.close
                source: Any = client
            else:
                config = ProviderConfig(
                    kind=kind,
                    name=api,
                    base_url=base_url,
                    api_key=KEY,
                    timeout=TIMEOUT,
                    transport=transport,  # type: ignore[arg-type]
                )
                source = build_adapter(config)
                read, close = _through, source.aclose

            def headers(n: int) -> dict[str, str]:
                scenario = {"kind": "ok", "tokens": tokens, "rate": rate}
                return {"X-Fake-Scenario": json.dumps(scenario), "X-Fake-Conversation": f"p{n}"}

            await read(source, headers(-1))  # warm-up: connection pool, imports
            started = time.process_time()
            got = await asyncio.gather(*(read(source, headers(n)) for n in range(concurrent)))
            spent = time.process_time() - started
            await close()
            if any(len(texts) != tokens for texts in got):
                raise SystemExit(f"paced {side} on {transport}: wrong number of deltas")
            cpu[side, transport].append(spent / (tokens * concurrent) * 1e6)
    print(
        f"paced: {concurrent} streams at {rate:g} tokens/s for {seconds:g} s, {rounds} rounds, "
        f"client CPU per token (median):"
    )
    for variant in variants:
        print(
            f"{api:<10} paced {variant[0]:<8} {variant[1]:<8} {statistics.median(cpu[variant]):7.1f} us/token"
        )
    for transport in transports:
        ratios = [
            f / o for f, o in zip(cpu["floor", transport], cpu["adapter", transport], strict=True)
        ]
        print(
            f"{api:<10} paced adapter/floor on {transport:<8} CPU {statistics.median(ratios):.3f}"
        )
    if len(transports) == 2:
        ratios = [
            h / a for h, a in zip(cpu["adapter", "httpx"], cpu["adapter", "aiohttp"], strict=True)
        ]
        print(f"{api:<10} paced adapter CPU httpx/aiohttp {statistics.median(ratios):.2f}")
    chosen = DEFAULT_TRANSPORT if DEFAULT_TRANSPORT in transports else transports[0]
    cheapest = min(transports, key=lambda t: statistics.median(cpu["floor", t]))
    pairs = zip(cpu["floor", cheapest], cpu["adapter", chosen], strict=True)
    return statistics.median(f / o for f, o in pairs)


async def _main(
    apis: list[str], tokens: int, rounds: int, transports: tuple[str, ...], paced: int
) -> int:
    # Wall-clock rates suffer when other processes compete for the CPU; the client CPU
    # figures do not. The load average tells the reader which to trust on this run.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{tokens:,} tokens per stream, {rounds} rounds of each variant in rotating order, "
        f"medians; fake provider in a subprocess; default transport {DEFAULT_TRANSPORT}"
    )
    async with FakeProviderProcess() as fake:
        ratios = [await _bench_api(api, fake, tokens, rounds, transports) for api in apis]
        paced_ratios = [
            await _paced(
                api,
                fake,
                transports,
                concurrent=paced,
                rate=20,
                seconds=5,
                rounds=max(1, rounds // 2),
            )
            for api in (apis if paced else ())
        ]
    # Unpaced, a read carries many tokens and the SDK's per-event SSE decoding is what
    # shows; paced (production's 20 tokens/s), each token is a read of its own.
    worst = min(ratios + paced_ratios)
    print(
        f"worst adapter/floor CPU ratio, adapter on {DEFAULT_TRANSPORT}, cheapest floor: "
        f"unpaced {min(ratios):.3f}"
        + (f", paced {min(paced_ratios):.3f}" if paced_ratios else "")
        + f" (target >= 0.9): {'ok' if worst >= 0.9 else 'BELOW TARGET'}"
    )
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
    parser.add_argument(
        "--transport",
        choices=("httpx", "aiohttp", "both"),
        default="both",
        help="which SDK HTTP transport(s) to measure (default both)",
    )
    parser.add_argument(
        "--paced",
        type=int,
        default=100,
        metavar="N",
        help="also N concurrent streams at 20 tokens/s, one token per read (default 100; 0: skip)",
    )
    args = parser.parse_args()
    apis = ["chat", "responses", "anthropic"] if args.api == "all" else [args.api]
    transports = HTTP_TRANSPORTS if args.transport == "both" else (args.transport,)
    raise SystemExit(asyncio.run(_main(apis, args.tokens, args.rounds, transports, args.paced)))


if __name__ == "__main__":
    main()
