"""End-to-end pipeline benchmark: one 20,000-token turn through every layer, against the floor.

    .venv/bin/python bench/pipeline.py [--tokens 20000] [--runs 3]

Path measured: the fake provider (loopback HTTP, streaming as fast as it can)
→ our adapter over the official SDK → the retry loop and first-chunk guard →
the runner's coalesced events → the in-memory channel layer → the websocket
consumer (rendering the answer as markdown, block by block) → a real websocket
client that follows the page's operations. Baseline, in the same process and
run: the floor (``bench/floor.py``), the cheapest read of the same bytes: the
`openai` SDK's raw streaming response read as SSE lines with ``json.loads``, on
each HTTP transport the SDKs support, the faster of the two taken. Prints
tokens/s of each (medians of ``--runs``), the ratio end-to-end/floor, i.e. floor
time / our time (target ≥ 0.7), and the database queries of the turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-pipeline-")
os.environ.update(
    DJANGO_SETTINGS_MODULE="chatui.settings",
    DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex,
    SQLITE_PATH=str(Path(_tmp) / "bench.sqlite3"),
    CHAT_RUNNER="external",  # the benchmark runs its own runner on this event loop
    CHAT_FAKE_PROVIDER="0",
    # One user sends turn after turn: our own per-user limits are not what is measured.
    CHAT_ACTIVE_TURNS_PER_USER="0",
    CHAT_SENDS_PER_MINUTE="0",
    LOG_LEVEL="WARNING",
)
for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "CHAT_DEMO"):
    os.environ.pop(name, None)

import django  # noqa: E402

django.setup()

import uvicorn  # noqa: E402
import websockets  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from bench.floor import FLOORS, sdk_client  # noqa: E402
from bench.page import StreamedPage  # noqa: E402
from chatcore.chats import create_chat  # noqa: E402
from chatcore.chats import lifecycle as runner_store  # noqa: E402
from chatcore.fakeprovider import token_text  # noqa: E402
from chatcore.metrics import RetryMetrics  # noqa: E402
from chatcore.models import Provider  # noqa: E402
from chatcore.providers import HTTP_TRANSPORTS  # noqa: E402
from chatcore.runner import Runner, TurnSettings  # noqa: E402
from tests.fakeserver import FakeProviderServer, free_port  # noqa: E402


def _scenario(tokens: int) -> str:
    return json.dumps([{"kind": "ok", "tokens": tokens, "rate": 0}])


async def floor_read(fake: FakeProviderServer, tokens: int, transport: str) -> float:
    """Tokens/s of the floor: the SDK's raw response as SSE lines (no adapter, no runner)."""
    client = sdk_client(
        "chat", transport, base_url=fake.openai_base_url, api_key="bench", timeout=120.0
    )
    headers = {"X-Fake-Scenario": _scenario(tokens), "X-Fake-Conversation": uuid.uuid4().hex}
    started = time.perf_counter()
    texts = await FLOORS["chat"](client, headers)
    elapsed = time.perf_counter() - started
    await client.close()
    assert len(texts) == tokens, (len(texts), tokens)
    return tokens / elapsed


class QueryCounter:
    def __init__(self) -> None:
        self.total = 0

    async def db(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            with CaptureQueriesContext(connection) as captured:
                result = fn(*args, **kwargs)
            if not (fn is runner_store.claim_next and result is None):
                self.total += len(captured.captured_queries)
            return result

        return await sync_to_async(run, thread_sensitive=True)()


def _setup(fake: FakeProviderServer) -> tuple[int, str]:
    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password=uuid.uuid4().hex)
    provider = Provider.objects.create(
        name="bench", kind="fake", base_url=fake.openai_base_url, models=["bench"]
    )
    chat = create_chat(owner=user, provider=provider, model="bench")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return chat.pk, str(session.session_key)


async def pipeline(
    port: int, chat_id: int, session: str, tokens: int, counter: QueryCounter
) -> float:
    """Tokens/s from the send frame to the `done` fragment at a real websocket client."""
    origin = f"http://127.0.0.1:{port}"
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/chats/{chat_id}/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": origin},
        max_size=None,
    ) as socket:
        await socket.recv()  # the snapshot
        page = StreamedPage()
        started = time.perf_counter()
        await socket.send(json.dumps({"content": "go", "client_request_id": uuid.uuid4().hex}))
        expected = token_text(tokens).split()
        while True:
            frame = str(await socket.recv())
            streamed = page.apply(frame) is not None
            if not streamed and 'data-role="assistant"' in frame and page.text.split():
                break
        elapsed = time.perf_counter() - started
    assert page.text.split() == expected, "lost or duplicated words"
    return tokens / elapsed


async def main(tokens: int, runs: int) -> None:
    with FakeProviderServer() as fake:
        chat_id, session = await sync_to_async(_setup)(fake)
        from chatui.asgi import application

        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                application,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="off",
                ws="websockets-sansio",
            )
        )
        serving = asyncio.create_task(server.serve())
        for _ in range(500):  # uvicorn offers no "started" event to await
            if server.started:
                break
            await asyncio.sleep(0.02)
        counter = QueryCounter()
        runner = Runner(
            get_channel_layer(),
            settings=TurnSettings(extra_headers={"X-Fake-Scenario": _scenario(tokens)}),
            poll_interval=0.05,
            metrics=RetryMetrics(CollectorRegistry()),
            db=counter.db,
        )
        running = asyncio.create_task(runner.run())
        floors: dict[str, list[float]] = {t: [] for t in HTTP_TRANSPORTS}
        piped: list[float] = []
        queries: list[int] = []
        try:
            for transport in HTTP_TRANSPORTS:  # warm up every path once
                await floor_read(fake, 200, transport)
            for _ in range(runs):
                for transport in HTTP_TRANSPORTS:
                    floors[transport].append(await floor_read(fake, tokens, transport))
                counter.total = 0
                piped.append(await pipeline(port, chat_id, session, tokens, counter))
                await asyncio.sleep(0.2)  # let the turn's last write land
                queries.append(counter.total)
        finally:
            running.cancel()
            server.should_exit = True
            await asyncio.gather(running, serving, return_exceptions=True)
    medians = {t: statistics.median(rates) for t, rates in floors.items()}
    cheapest = max(medians, key=medians.__getitem__)
    piped_median = statistics.median(piped)
    ratio = piped_median / medians[cheapest]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"tokens per turn:              {tokens}")
    for transport, rate in medians.items():
        print(f"floor read on {transport:<8}        {rate:,.0f} tokens/s (median of {runs})")
    print(
        f"end to end (websocket):       {piped_median:,.0f} tokens/s (median of {runs}; "
        f"adapters on {settings.CHAT_HTTP_TRANSPORT})"
    )
    print(
        f"ratio end-to-end / floor:     {ratio:.2f} (floor on {cheapest}; target >= 0.7): "
        f"{'ok' if ratio >= 0.7 else 'BELOW TARGET'}"
    )
    # Lease renewals are time-based (every lease/3 s), so a slower run may add two.
    print(f"database queries per turn:  {queries}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000, help="tokens in the turn")
    parser.add_argument("--runs", type=int, default=3, help="measured runs (median printed)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.tokens, arguments.runs))
