"""Load benchmark: N chats streaming at once through ASGI processes, in-memory layer then Redis.

    .venv/bin/python bench/load.py [--chats 200] [--seconds 20] [--rate 20]
        [--layer memory|redis|both] [--postgres] [--plain]
        [--runner inprocess|chatd] [--runners 1] [--spread 1] [--processes 1]

What runs, all on 127.0.0.1: the fake provider as its own process
(``python -m chatcore.fakeprovider``); one Daphne process serving the app with
the in-process runner (``CHAT_RUNNER=inprocess``) on a database of its own (a
temporary SQLite file, or a throwaway PostgreSQL database with ``--postgres``)
and, for ``redis``, the pub/sub channel layer on 127.0.0.1:6379 under a
channel prefix of the run's own (it stores nothing in Redis); and the
websocket clients in this process, one per chat, as a browser would connect
them. ``--runner chatd`` moves the runner into ``--runners`` ``manage.py
chatd`` processes (the scale-out topology; Redis only), which shows what the
web process costs on its own. ``--processes N`` starts N Daphne processes
(Redis only) and spreads the clients over them, chat i on process i mod N, as a
load balancer would: whether N processes carry N times the chats is measured,
not assumed.

Every chat's model is ``load-md-<rate>tps-<seconds>s`` (``--plain``:
``load-<rate>tps-<seconds>s``), so the fake provider streams ``rate * seconds``
tokens at ``rate`` tokens/s, each token stamped with the moment it was written
(``t17@1732483200.123456``), and, by default, set in markdown structure as a
model's answers are (headings, inline code, lists, fenced code, tables,
quotes), which the server renders while it streams. The client follows the
page as a browser would: rendered blocks appended, the open block replaced,
code appended; a stamp is read from the text, tags stripped. The N messages
are sent spread over ``--spread`` seconds. Figures per layer:

* delta latency, p50/p99: provider write → the token's first arrival at a
  websocket client (in a delta, or in a snapshot after a resync), for one chat
  alone (the baseline) and for N chats at once, and their ratio; the p99 of
  each quarter of the answer (the first holds every turn's start);
* lost and duplicated characters: the stamps the page showed when the turn
  ended against the persisted answer, whose tokens must be exactly
  0 … rate*seconds-1 (a token missing, or shown twice, counts its length);
  turns not finished in time;
* RSS per idle connection: the server's RSS with N idle sockets open minus
  with none, over N; the server's peak RSS;
* the CPU share of each process during the load, and the server's CPU time
  per token (what limits it when the machine has cores to spare).

Targets: 0 lost/duplicated; p99 <= 250 ms at 200 chats; <= 200 KB per idle
connection. Each layer's load is bounded (``spread + seconds + 60`` s) and
everything started here is stopped on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402

from bench.page import StreamedPage, text_of  # noqa: E402
from chatcore.fakeprovider import stamp_token  # noqa: E402
from tests.fakeserver import FakeProviderProcess, free_port  # noqa: E402

_STAMP = re.compile(r"t(\d+)@(\d+\.\d{6})")
_PROVISIONAL = re.compile(
    r'id="provisional-message".*?data-stream-done>(.*?)data-stream-tail>(.*?)</article>', re.S
)
_ANSWER = re.compile(r'id="message-\d+"[^>]*data-role="assistant"(.*?)</article>', re.S)
_APP_VARIABLES = {
    "DATABASE_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "CHANNEL_PREFIX",
    "DJANGO_DEBUG",
    "CHAT_DEMO",
}
_TARGETS = {"p99_ms": 250.0, "kb_per_connection": 200.0}


@dataclass
class Turn:
    """What one client saw of one turn."""

    latencies: list[tuple[int, float]] = field(default_factory=list)  # (token index, seconds)
    page: StreamedPage = field(default_factory=StreamedPage)  # the provisional answer shown
    answer: str | None = None  # the persisted answer's text (None: not finished in time)
    resyncs: int = 0
    _seen: set[int] = field(default_factory=set)

    @property
    def shown(self) -> str:
        """The provisional answer's text on the page."""
        return self.page.text

    def arrived(self, text: str, now: float) -> None:
        """Tokens reach the client: the first arrival of each counts for latency."""
        for match in _STAMP.finditer(text):
            index = int(match[1])
            if index not in self._seen:
                self._seen.add(index)
                self.latencies.append((index, now - float(match[2])))

    def apply(self, frame: str, now: float) -> bool:
        """Apply a frame of streaming operations, as the page does; False for any other."""
        carried = self.page.apply(frame)
        if carried is None:
            return False
        self.arrived(carried, now)
        return True


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    max_ms: float
    lost: int
    duplicated: int
    unfinished: int
    resyncs: int
    p99_by_quarter: list[float]  # p99 of the tokens of each quarter of the answer


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def tally(turns: list[Turn], tokens: int) -> Figures:
    lost = duplicated = unfinished = 0
    for turn in turns:
        stamps = [(int(m[1]), m[0]) for m in _STAMP.finditer(turn.answer or "")]
        answer = dict(stamps)
        if turn.answer is None:
            unfinished += 1
        elif [index for index, _ in stamps] != list(range(tokens)):
            raise SystemExit(f"a persisted answer is not tokens 0..{tokens - 1}: {turn.answer!r}")
        shown: dict[int, list[str]] = {}
        for match in _STAMP.finditer(turn.shown):
            shown.setdefault(int(match[1]), []).append(match[0])
        for index in range(tokens):
            seen = shown.pop(index, [])
            # Without an answer (unfinished), the first arrival of an index counts as
            # right, and a token never seen is as long as any stamp of this moment.
            want = answer.get(index) or (seen[0] if seen else stamp_token(index, time.time()))
            lost += len(want) if want not in seen else 0
            duplicated += sum(len(text) for text in seen) - (len(want) if want in seen else 0)
        duplicated += sum(len(text) for texts in shown.values() for text in texts)
    latencies = [seconds * 1000 for turn in turns for _, seconds in turn.latencies]
    quarters: list[list[float]] = [[], [], [], []]
    for turn in turns:
        for index, seconds in turn.latencies:
            quarters[min(3, 4 * index // max(tokens, 1))].append(seconds * 1000)
    return Figures(
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
        lost=lost,
        duplicated=duplicated,
        unfinished=unfinished,
        resyncs=sum(turn.resyncs for turn in turns),
        p99_by_quarter=[_percentile(quarter, 0.99) for quarter in quarters],
    )


# -- the server under test ---------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Child:
    """A subprocess of the app (Daphne or ``manage.py chatd``) whose memory and CPU we read."""

    def __init__(self, command: list[str], env: dict[str, str], *, port: int = 0) -> None:
        self.port = port
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while port:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{command[2]} did not start:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)

    def _status(self, key: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def rss_kb(self) -> int:
        return self._status("VmRSS")

    def peak_rss_kb(self) -> int:
        return self._status("VmHWM")

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def daphne(env: dict[str, str]) -> Child:
    """The app in one Daphne process (an in-process runner starts with its first socket),
    started as production starts it: ``python -m chatui.server`` (uvloop unless
    ``CHAT_EVENT_LOOP=asyncio`` is set)."""
    port = free_port()
    command = [sys.executable, "-m", "chatui.server", "-b", "127.0.0.1", "-p", str(port)]
    return Child([*command, "chatui.asgi:application"], env, port=port)


def chatd(env: dict[str, str]) -> Child:
    """A runner process of the scale-out topology (it polls, so it needs no readiness wait)."""
    return Child([sys.executable, "manage.py", "chatd"], env)


# -- data and clients ----------------------------------------------------------------------
def _create_chats(base_url: str, models: list[str]) -> list[tuple[int, str]]:
    """One chat per model, each of its own user, with a logged-in session cookie.

    One user per chat, as in real use: every page of a user also hears of each
    of that user's chats (the sidebar's group), so one user with hundreds of
    open chats would measure a fan-out no one has.
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connections

    from chatcore.chats import create_chat
    from chatcore.models import Provider

    provider, _ = Provider.objects.update_or_create(
        name="bench-load",
        defaults={"kind": "fake", "base_url": base_url, "models": sorted(set(models))},
    )
    chats = []
    for n, model in enumerate(models):
        user, _ = User.objects.get_or_create(username=f"bench-load-{n}")
        chat = create_chat(owner=user, provider=provider, model=model)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        chats.append((chat.pk, str(session.session_key)))
    connections.close_all()  # leave the database to the server
    return chats


async def _connect(port: int, chat_id: int, session: str) -> Any:
    socket_ = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/chats/{chat_id}/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"},
        max_size=None,
        compression=None,
        ping_interval=None,  # a loaded server must not be hung up on for a late pong
        open_timeout=60,
    )
    await socket_.recv()  # the snapshot of an idle chat
    return socket_


async def _turn(socket_: Any, start_after: float, deadline: float) -> Turn:
    """Send one message and follow the turn to its persisted answer, as the page would."""
    await asyncio.sleep(start_after)
    await socket_.send(json.dumps({"content": "go", "client_request_id": uuid.uuid4().hex}))
    turn, streaming = Turn(), False
    try:
        async with asyncio.timeout_at(deadline):  # the loop's clock is time.monotonic
            while turn.answer is None:
                frame = str(await socket_.recv())
                now = time.time()
                if turn.apply(frame, now):
                    streaming = True
                elif answer := _ANSWER.search(frame):
                    turn.answer = text_of(answer[1])
                    turn.arrived(turn.answer, now)
                elif provisional := _PROVISIONAL.search(frame):
                    # A snapshot replaces the provisional text (a resync after a gap).
                    turn.resyncs += streaming
                    turn.page.reset(text_of(provisional[1]), text_of(provisional[2]))
                    turn.arrived(turn.shown, now)
    except TimeoutError:
        pass  # counted as unfinished
    return turn


async def _open_all(ports: list[int], chats: list[tuple[int, str]]) -> list[Any]:
    """One socket per chat, chat i on the server of ``ports[i % len(ports)]``."""
    gate = asyncio.Semaphore(20 * len(ports))  # Daphne drops sockets not accepted within 5 s

    async def one(port: int, chat_id: int, session: str) -> Any:
        async with gate:
            return await _connect(port, chat_id, session)

    return list(
        await asyncio.gather(*(one(ports[i % len(ports)], *chat) for i, chat in enumerate(chats)))
    )


async def _run_turns(sockets: list[Any], seconds: float, spread: float) -> list[Turn]:
    """Every socket sends once, the sends spread evenly over ``spread`` seconds."""
    deadline = time.monotonic() + spread + seconds + 60
    turns = [_turn(s, spread * i / len(sockets), deadline) for i, s in enumerate(sockets)]
    return list(await asyncio.gather(*turns))


async def _close(sockets: list[Any]) -> None:
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


# -- one layer -------------------------------------------------------------------------------
@dataclass
class LayerResult:
    layer: str
    single: Figures
    many: Figures
    kb_per_connection: float
    idle_rss_mb: tuple[float, float]
    peak_rss_mb: float
    cpu: dict[str, float]  # share of one core during the load: server, provider, clients
    server_us_per_token: float  # all web processes together
    runner_us_per_token: float  # all chatd processes together (0 with the in-process runner)
    publishes_per_second: float  # Redis PUBLISH commands during the load (0 without Redis)
    pg_per_second: dict[str, float]  # PostgreSQL commits and row writes a second (--postgres)
    elapsed: float  # seconds from the first send to the last answer


def _server_env(
    database: dict[str, str], redis_url: str, chats: int, runner: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _APP_VARIABLES}
    env.update(
        database,
        DJANGO_SETTINGS_MODULE="chatui.settings",
        DJANGO_SECRET_KEY=os.environ["DJANGO_SECRET_KEY"],
        CHAT_RUNNER="inprocess" if runner == "inprocess" else "external",
        CHAT_MAX_TURNS=str(chats + 2),  # every chat runs at once (the default is 16)
        # One user owns every chat: our own per-user limits are not what is measured.
        CHAT_ACTIVE_TURNS_PER_USER="0",
        CHAT_SENDS_PER_MINUTE="0",
        CHAT_FAKE_PROVIDER="0",
        SERVE_STATIC="0",
        LOG_LEVEL=os.environ.get("BENCH_SERVER_LOG", "WARNING"),
        PYTHONPATH=str(ROOT),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def _redis_layer() -> Iterator[str]:
    """The local Redis; the pub/sub layer keeps nothing there, and the run's database
    (a fresh file or throwaway database) gives its channels a prefix of their own."""
    yield "redis://127.0.0.1:6379/0"


def _redis_publishes(redis_url: str) -> int:
    """PUBLISH commands the Redis server has run so far (0 without Redis).

    The server's count: anything else publishing on this Redis (pub/sub is not
    per database) is counted too.
    """
    if not redis_url:
        return 0
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        stats = client.info("commandstats").get("cmdstat_publish", {})
    finally:
        client.close()
    return int(stats.get("calls", 0))


_PG_COUNTS = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted")


def _pg_counts(database: dict[str, str]) -> dict[str, int]:
    """The run's PostgreSQL database's commits and written rows so far (``pg_stat_database``;
    the statistics collector reports them within about a second). Empty on SQLite."""
    url = database.get("DATABASE_URL")
    if not url:
        return {}
    import psycopg

    time.sleep(1.0)  # let the backends flush their statistics
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        row = connection.execute(
            f"SELECT {', '.join(_PG_COUNTS)} FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return dict(zip(_PG_COUNTS, row or (), strict=False))


@contextmanager
def _no_redis() -> Iterator[str]:
    yield ""


async def measure(layer: str, args: argparse.Namespace, fake: FakeProviderProcess) -> LayerResult:
    family = "load-" if args.plain else "load-md-"
    tokens, model = round(args.rate * args.seconds), f"{family}{args.rate:g}tps-{args.seconds:g}s"
    models = [f"{family}{args.rate:g}tps-1s", model, *[model] * args.chats]
    chats = await asyncio.to_thread(_create_chats, fake.openai_base_url, models)
    scope = _redis_layer() if layer == "redis" else _no_redis()
    with scope as redis_url:
        env = _server_env(args.database, redis_url, args.chats, args.runner)
        children = (
            {"server": daphne(env)}
            if args.processes == 1
            else {f"server-{n}": daphne(env) for n in range(1, args.processes + 1)}
        )
        servers = list(children.values())
        if args.runner == "chatd":
            for n in range(1, args.runners + 1):
                children["runner" if args.runners == 1 else f"runner-{n}"] = chatd(env)
        ports = [server.port for server in servers]
        try:
            for chat, seconds in ((chats[0], 1.0), (chats[1], args.seconds)):
                sockets = await _open_all(ports[:1], [chat])
                turns = await _run_turns(sockets, seconds, args.spread)  # the first warms up
                await _close(sockets)
            single = tally(turns, tokens)
            await asyncio.sleep(2)  # closed sockets are released
            before = sum(server.rss_kb() for server in servers)
            sockets = await _open_all(ports, chats[2:])
            await asyncio.sleep(2)
            idle = sum(server.rss_kb() for server in servers)
            pids = {name: child.process.pid for name, child in children.items()}
            pids["provider"] = fake.pid or 0
            cpu = {name: _cpu_seconds(pid) for name, pid in pids.items()}
            publishes = _redis_publishes(redis_url)
            writes = _pg_counts(args.database)
            cpu["clients"], started = time.process_time(), time.monotonic()
            turns = await _run_turns(sockets, args.seconds, args.spread)
            elapsed = time.monotonic() - started
            publishes = _redis_publishes(redis_url) - publishes
            writes = {k: v - writes.get(k, 0) for k, v in _pg_counts(args.database).items()}
            cpu = {name: _cpu_seconds(pid) - cpu[name] for name, pid in pids.items()} | {
                "clients": time.process_time() - cpu["clients"]
            }
            await _close(sockets)
            return LayerResult(
                layer=layer,
                single=single,
                many=tally(turns, tokens),
                kb_per_connection=(idle - before) / args.chats,
                idle_rss_mb=(before / 1024, idle / 1024),
                peak_rss_mb=max(server.peak_rss_kb() for server in servers) / 1024,
                cpu={name: seconds / elapsed for name, seconds in cpu.items()},
                publishes_per_second=publishes / elapsed,
                elapsed=elapsed,
                pg_per_second={k: v / elapsed for k, v in writes.items()},
                server_us_per_token=sum(cpu[name] for name in children if name.startswith("server"))
                * 1e6
                / (tokens * args.chats),
                runner_us_per_token=sum(cpu[name] for name in children if name.startswith("runner"))
                * 1e6
                / (tokens * args.chats),
            )
        except BaseException:
            for name, child in children.items():
                print(f"{name} output ({layer}):\n{child.output()}", file=sys.stderr)
            raise
        finally:
            for child in children.values():
                child.stop()


# -- report --------------------------------------------------------------------------------
def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(result: LayerResult, args: argparse.Namespace) -> None:
    single, many, n = result.single, result.many, args.chats
    errors = many.lost + many.duplicated + single.lost + single.duplicated
    ratio50 = many.p50_ms / single.p50_ms if single.p50_ms else float("nan")
    ratio99 = many.p99_ms / single.p99_ms if single.p99_ms else float("nan")
    p99_ok = many.p99_ms <= _TARGETS["p99_ms"] and not many.unfinished
    rss_ok = result.kb_per_connection <= _TARGETS["kb_per_connection"]
    print(f"\n== {result.layer} channel layer ==")
    print(f"delta latency, 1 chat:      p50 {single.p50_ms:7.1f} ms   p99 {single.p99_ms:7.1f} ms")
    print(
        f"delta latency, {n} chats: p50 {many.p50_ms:7.1f} ms   p99 {many.p99_ms:7.1f} ms"
        f"   max {many.max_ms:.0f} ms   [{_mark(p99_ok)}: p99 <= {_TARGETS['p99_ms']:.0f} ms]"
    )
    print(f"ratio {n} chats / 1 chat:   p50 {ratio50:7.2f}x     p99 {ratio99:7.2f}x")
    quarters = " / ".join(f"{p99:.0f}" for p99 in many.p99_by_quarter)
    print(f"p99 by quarter of answer:   {quarters} ms (the start has every turn's setup)")
    print(
        f"lost / duplicated chars:    {many.lost} / {many.duplicated}"
        f" (1 chat: {single.lost} / {single.duplicated})   [{_mark(errors == 0)}: 0]"
    )
    print(f"unfinished turns:           {many.unfinished} of {n}   resyncs: {many.resyncs}")
    before, idle = result.idle_rss_mb
    print(
        f"RSS per idle connection:    {result.kb_per_connection:.1f} KB"
        f" ({before:.1f} MB -> {idle:.1f} MB with {n} open)"
        f"   [{_mark(rss_ok)}: <= {_TARGETS['kb_per_connection']:.0f} KB]"
    )
    shares = ", ".join(f"{name} {share * 100:.0f} %" for name, share in result.cpu.items())
    print(f"server peak RSS:            {result.peak_rss_mb:.1f} MB (the largest process)")
    print(f"CPU during the load:        {shares} (of one core)")
    print(
        f"server CPU per token:       {result.server_us_per_token:.0f} us"
        f" (all {args.processes} web process{'es' if args.processes > 1 else ''})"
    )
    if result.publishes_per_second:
        frames = result.publishes_per_second / n
        print(
            f"Redis PUBLISH rate:         {result.publishes_per_second:,.0f}/s"
            f" ({frames:.1f} per chat per second, {args.rate:g} tokens/s each)"
        )
    if result.pg_per_second:
        pg = result.pg_per_second
        written = pg["tup_inserted"] + pg["tup_updated"] + pg["tup_deleted"]
        print(
            f"PostgreSQL during the load: {pg['xact_commit']:,.0f} commits/s,"
            f" {written:,.0f} rows written/s ({pg['tup_inserted']:,.0f} inserted,"
            f" {pg['tup_updated']:,.0f} updated, {pg['tup_deleted']:,.0f} deleted);"
            f" {written / n:.2f} rows/s per streaming chat,"
            f" {written * result.elapsed / n:.1f} rows per turn"
        )
    per_token = result.server_us_per_token + result.runner_us_per_token
    if result.runner_us_per_token:
        print(f"runner CPU per token:       {result.runner_us_per_token:.0f} us (all chatd)")
    # A chat streams `rate` tokens/s: one core carries 1e6 / (us per token * rate) chats.
    print(
        f"chats per core implied:     {1e6 / (per_token * args.rate):.0f}"
        f" (1e6 / ({per_token:.0f} us x {args.rate:g} tokens/s), web + runner)"
    )


@contextmanager
def _database(postgres: bool) -> Iterator[dict[str, str]]:
    """A database for this run only: a temporary SQLite file or a new PostgreSQL database."""
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
            yield {"SQLITE_PATH": str(Path(folder) / "bench.sqlite3")}
        return
    import psycopg

    name = "bench_load_" + uuid.uuid4().hex[:12]
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"}
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(args: argparse.Namespace) -> None:
    layers = ["memory", "redis"] if args.layer == "both" else [args.layer]
    if args.runner == "chatd" and "memory" in layers:
        raise SystemExit(
            "--runner chatd needs --layer redis: chatd reaches the web process via Redis"
        )
    if args.processes > 1 and "memory" in layers:
        raise SystemExit(
            "--processes needs --layer redis: a chat's events reach another process via Redis"
        )
    if args.processes < 1:
        raise SystemExit("--processes must be at least 1")
    with _database(args.postgres) as database, FakeProviderProcess() as fake:
        for name in _APP_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(
            database,
            DJANGO_SETTINGS_MODULE="chatui.settings",
            DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex,
            LOG_LEVEL=os.environ.get("BENCH_SERVER_LOG", "WARNING"),
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        args.database = database
        engine = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"{args.chats} chats x {round(args.rate * args.seconds)} tokens at {args.rate:g}/s,"
            f" sends spread over {args.spread:g} s,"
            f" {args.processes} Daphne process{'es' if args.processes > 1 else ''},"
            f" runner {'in-process' if args.runner == 'inprocess' else f'in {args.runners} chatd'},"
            f" {engine};"
            f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
        )
        for layer in layers:
            result = asyncio.run(measure(layer, args, fake))
            report(result, args)
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200, help="concurrent chats (default 200)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each answer (20)")
    parser.add_argument("--rate", type=float, default=20, help="provider tokens per second (20)")
    parser.add_argument("--layer", choices=["memory", "redis", "both"], default="both")
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL database, not SQLite")
    parser.add_argument(
        "--plain", action="store_true", help="plain stamped tokens, no markdown to render"
    )
    parser.add_argument(
        "--runner",
        choices=["inprocess", "chatd"],
        default="inprocess",
        help="the runner inside the web process (default), or `manage.py chatd` processes"
        " (scale-out topology; --layer redis)",
    )
    parser.add_argument(
        "--runners", type=int, default=1, help="how many chatd processes with --runner chatd (1)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="web (Daphne) processes, the clients spread over them (1; more needs --layer redis)",
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=1.0,
        help="seconds over which the N sends are spread, like users who do not click at once (1)",
    )
    main(parser.parse_args())
