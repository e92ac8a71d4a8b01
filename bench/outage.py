"""Provider outage benchmark: provider requests while it is down, with and without shared health.

    .venv/bin/python bench/outage.py [--chats 50] [--outage 10] [--runners 2]

N chats, each a user's turn on the same model, start together against the fake
provider's ``outage-<T>s`` scenario: every request gets a 529 "overloaded" for T
seconds from the model's first request, then it answers. The same run is done
twice in this process, on fresh databases and fresh fake providers, by
``--runners`` runners sharing the database and the in-memory channel layer:

* baseline (the floor): ``CHAT_HEALTH=off``, every chat retries on its own backoff;
* shared health: cooldown, circuit breaker and retry budget with the default settings
  (``chatui/settings.py``; ``--cooloff`` overrides ``CHAT_BREAKER_COOLOFF``).

Printed per mode: the provider requests answered 529 (during the outage), all
requests, the time from the provider's recovery (its first request + T) to the
last chat answered, and whether every chat answered exactly once. Then the ratio
of requests during the outage, shared health over baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-outage-")
os.environ.update(
    DJANGO_SETTINGS_MODULE="chatui.settings",
    DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex,
    SQLITE_PATH=str(Path(_tmp) / "bench.sqlite3"),
    CHAT_RUNNER="external",  # the benchmark runs its own runners on this event loop
    CHAT_FAKE_PROVIDER="0",
    LOG_LEVEL="ERROR",
)
for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "CHAT_DEMO"):
    os.environ.pop(name, None)

import django  # noqa: E402

django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.layers import InMemoryChannelLayer  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from chatcore.chats import chat_group, create_chat  # noqa: E402
from chatcore.fakeprovider import create_app  # noqa: E402
from chatcore.health import HealthConfig  # noqa: E402
from chatcore.metrics import RetryMetrics  # noqa: E402
from chatcore.models import (  # noqa: E402
    Chat,
    ChatMessage,
    ChatStatus,
    MessageRole,
    Provider,
    ProviderHealth,
    text_parts,
)
from chatcore.runner import Runner, TurnSettings  # noqa: E402
from chatcore.runner.service import health_config  # noqa: E402
from tests.fakeserver import FakeProviderServer  # noqa: E402


class CountingApp:
    """The fake provider behind a wrapper that notes each API answer's time and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.answers: list[tuple[float, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def noting(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.answers.append((time.time(), message["status"]))
            await send(message)

        await self.app(scope, receive, noting)


@dataclasses.dataclass
class Result:
    during_outage: int
    requests: int
    recovery_to_answered: float
    answered_once: bool


def _fresh_database() -> None:
    for model in (ChatMessage, Chat, ProviderHealth, Provider):
        model.objects.all().delete()
    User.objects.filter(username__startswith="bench").delete()


def _queue(base_url: str, model: str, chats: int) -> list[int]:
    provider = Provider.objects.create(name="bench", kind="fake", base_url=base_url, models=[model])
    ids = []
    for i in range(chats):
        user = User.objects.create_user(f"bench{i}", password=uuid.uuid4().hex)
        chat = create_chat(owner=user, provider=provider, model=model)
        ChatMessage.objects.create(chat=chat, role=MessageRole.USER, content=text_parts("hi"))
        ids.append(chat.pk)
    Chat.objects.filter(pk__in=ids).update(status=ChatStatus.PENDING)
    return ids


def _close_connection() -> None:
    connection.close()  # the runner thread's own (connections are per thread)


def _answers(ids: list[int]) -> list[int]:
    return [
        ChatMessage.objects.filter(chat_id=chat_id, role=MessageRole.ASSISTANT).count()
        for chat_id in ids
    ]


async def run_once(*, chats: int, outage: float, runners: int, health: HealthConfig) -> Result:
    await sync_to_async(_fresh_database)()
    counting = CountingApp(create_app())
    layer = InMemoryChannelLayer(capacity=10_000)
    async with FakeProviderServer(app=counting) as fake:
        model = f"outage-{outage:g}s"
        ids = await sync_to_async(_queue)(fake.openai_base_url, model, chats)
        listener = await layer.new_channel("bench.")
        for chat_id in ids:
            await layer.group_add(chat_group(chat_id), listener)
        running = [
            Runner(
                layer,
                settings=TurnSettings(startup_timeout=10.0, lease_seconds=15.0),
                max_turns=chats,
                poll_interval=0.2,
                metrics=RetryMetrics(CollectorRegistry()),
                health=health,
            )
            for _ in range(runners)
        ]
        tasks = [asyncio.create_task(runner.run()) for runner in running]
        done: set[int] = set()
        last_done = 0.0
        try:
            async with asyncio.timeout(outage * 6 + 120):
                while done != set(ids):
                    message = await layer.receive(listener)
                    if message.get("event") in ("done", "error"):
                        done.add(message["chat"])
                        last_done = time.time()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await sync_to_async(_close_connection, thread_sensitive=True)()
        answers = await sync_to_async(_answers)(ids)
    first = min(t for t, _ in counting.answers)
    return Result(
        during_outage=sum(1 for _, status in counting.answers if status == 529),
        requests=len(counting.answers),
        recovery_to_answered=last_done - (first + outage),
        answered_once=answers == [1] * chats,
    )


def _print(label: str, result: Result) -> None:
    print(
        f"{label:<14} {result.during_outage:>8} {result.requests:>9}"
        f" {result.recovery_to_answered:>10.1f} s   {'yes' if result.answered_once else 'NO'}"
    )


async def main(*, chats: int, outage: float, runners: int, cooloff: float | None) -> None:
    await sync_to_async(call_command)("migrate", verbosity=0)
    shared = health_config()
    if cooloff is not None:
        shared = dataclasses.replace(
            shared, cooloff=cooloff, max_cooloff=max(cooloff, shared.max_cooloff)
        )
    print(
        f"{chats} chats, provider down for {outage:g} s, {runners} runner(s);"
        f" breaker: {shared.breaker_failures} failures, cool-off {shared.cooloff:g} s"
        f" (max {shared.max_cooloff:g} s); budget {shared.budget_ratio:g} x first attempts"
        f" + {shared.budget_floor}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    off = await run_once(
        chats=chats, outage=outage, runners=runners, health=HealthConfig(enabled=False)
    )
    on = await run_once(chats=chats, outage=outage, runners=runners, health=shared)
    print(f"\n{'mode':<14} {'529s':>8} {'requests':>9} {'recovery→all answered':>22}  once")
    _print("baseline (off)", off)
    _print("shared health", on)
    ratio = on.during_outage / off.during_outage if off.during_outage else float("nan")
    print(
        f"\nrequests during the outage, shared health / baseline: {ratio:.2f}"
        f" ({off.during_outage / max(on.during_outage, 1):.1f}x fewer)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50, help="chats started together")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds the provider is down")
    parser.add_argument("--runners", type=int, default=2, help="runners sharing the database")
    parser.add_argument("--cooloff", type=float, default=None, help="breaker cool-off (seconds)")
    args = parser.parse_args()
    asyncio.run(
        main(chats=args.chats, outage=args.outage, runners=args.runners, cooloff=args.cooloff)
    )
