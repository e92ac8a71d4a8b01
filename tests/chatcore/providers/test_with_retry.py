"""Adapters inside the real retry loop: Retry-After floors, rollback, startup guard, chain repair.

Each test drives ``run_with_retry`` + ``first_chunk_guard`` + ``AttemptBuffer`` the
way the runner does, against scripted per-attempt outcomes of the fake provider.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from chatcore.errors import ClassifiedError, ErrorKind
from chatcore.fakeprovider import token_text
from chatcore.providers import Adapter, Finish, Message, TextDelta, TurnRequest
from chatcore.retry import (
    AttemptBuffer,
    RetryGaveUp,
    RetryPolicy,
    first_chunk_guard,
    run_with_retry,
)
from tests.chatcore.providers.conftest import ANTHROPIC, APIS, MODEL, RESPONSES, Api, turn
from tests.fakeserver import FakeProviderServer

API_IDS = [api.name for api in APIS]
# Local backoff far below the Retry-After used here, so the provider's floor is what counts.
FAST_BACKOFF = RetryPolicy(initial_delay=0.05, max_delay=1.0)


@dataclass
class Turn:
    """The runner's side of one turn: buffer each attempt, show deltas, roll back on retry."""

    adapter: Adapter
    request: TurnRequest
    startup_timeout: float = 10.0
    buffer: AttemptBuffer[str] = field(default_factory=AttemptBuffer)
    screen: list[str] = field(default_factory=list)  # what a browser shows right now
    shown_at_retry: list[str] = field(default_factory=list)
    retries: list[tuple[int, ClassifiedError, float]] = field(default_factory=list)
    started: list[float] = field(default_factory=list)

    async def attempt(self, number: int) -> tuple[str, Finish | None]:
        self.started.append(time.monotonic())
        self.buffer.begin(number)
        finish = None
        parts = first_chunk_guard(
            self.adapter.stream(self.request), self.startup_timeout, provider=self.adapter.provider
        )
        async for part in parts:
            if isinstance(part, TextDelta):
                self.buffer.add(part.text)
                self.screen.append(part.text)  # the live `delta` event
            else:
                finish = part
        return "".join(self.buffer.commit()), finish

    def on_retry(
        self, attempt: int, error: BaseException, classified: ClassifiedError, delay: float
    ) -> None:
        # The `retry` event: every client drops this turn's provisional text.
        self.shown_at_retry.append("".join(self.screen))
        self.buffer.discard()
        self.screen.clear()
        self.retries.append((attempt, classified, delay))


class InstantSleep:
    """Records the delays the loop asks for without waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def _run(turn_: Turn, **options: object) -> tuple[str, Finish | None]:
    return await run_with_retry(
        turn_.attempt, on_retry=turn_.on_retry, provider=turn_.adapter.provider, **options
    )


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_rate_limited_turn_completes_on_attempt_2_after_the_retry_after(
    api: Api, fake: FakeProviderServer, make_adapter
) -> None:
    script = ({"kind": "rate_limit", "retry_after": 1}, {"kind": "ok", "tokens": 12})
    slept: list[float] = []

    async def real_sleep(delay: float) -> None:
        slept.append(delay)
        await asyncio.sleep(delay)

    turn_ = Turn(make_adapter(api), turn(*script))
    text, finish = await _run(turn_, policy=FAST_BACKOFF, sleep=real_sleep)

    assert (text, "".join(turn_.screen)) == (token_text(12), token_text(12))
    assert finish is not None and finish.usage is not None
    assert [r["attempt"] for r in fake.requests()] == [1, 2]
    ((attempt, classified, delay),) = turn_.retries
    assert (attempt, classified.kind, classified.retry_after, delay) == (
        1,
        ErrorKind.RATE_LIMIT,
        1.0,
        1.0,
    )
    assert slept == [1.0]
    assert turn_.started[1] - turn_.started[0] >= 1.0


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_truncated_then_complete_turn_shows_the_text_exactly_once(
    api: Api, fake: FakeProviderServer, make_adapter
) -> None:
    script = ({"kind": "truncate", "after": 7, "tokens": 12}, {"kind": "ok", "tokens": 12})
    sleep = InstantSleep()

    turn_ = Turn(make_adapter(api), turn(*script))
    text, finish = await _run(turn_, sleep=sleep)

    assert turn_.shown_at_retry == [token_text(7)]  # the cut attempt was visible, then dropped
    assert (text, "".join(turn_.screen)) == (token_text(12), token_text(12))
    assert finish is not None
    ((_, classified, _),) = turn_.retries
    assert (classified.kind, classified.retryable, classified.provider) == (
        ErrorKind.TIMEOUT,
        True,
        api.provider,
    )
    assert sleep.delays == [1.0]


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_a_slow_first_chunk_is_cut_off_and_the_next_attempt_streams(
    api: Api, fake: FakeProviderServer, make_adapter
) -> None:
    script = ({"kind": "ok", "tokens": 5, "delay": 1.5}, {"kind": "ok", "tokens": 5})

    turn_ = Turn(make_adapter(api), turn(*script), startup_timeout=0.3)
    text, _ = await _run(turn_, sleep=InstantSleep())

    assert text == token_text(5)
    ((_, classified, _),) = turn_.retries
    assert (classified.kind, classified.retryable, classified.provider) == (
        ErrorKind.STARTUP_TIMEOUT,
        True,
        api.provider,
    )
    assert turn_.started[1] - turn_.started[0] < 1.0  # the guard did not wait for the provider


async def test_an_overloaded_error_mid_stream_rolls_back_and_retries(make_adapter) -> None:
    script = ({"kind": "stream_error", "after": 3}, {"kind": "ok", "tokens": 4})

    turn_ = Turn(make_adapter(ANTHROPIC), turn(*script))
    text, _ = await _run(turn_, sleep=InstantSleep())

    assert turn_.shown_at_retry == [token_text(3)]
    assert text == token_text(4)
    assert turn_.retries[0][1].kind == ErrorKind.OVERLOADED


@pytest.mark.parametrize("api", APIS, ids=API_IDS)
async def test_bad_credentials_end_the_turn_after_one_attempt(
    api: Api, fake: FakeProviderServer, make_adapter
) -> None:
    turn_ = Turn(make_adapter(api), turn({"kind": "auth"}))

    with pytest.raises(RetryGaveUp) as caught:
        await _run(turn_, sleep=InstantSleep())

    assert (caught.value.attempts, caught.value.classified.kind) == (1, ErrorKind.AUTH)
    assert caught.value.classified.provider == api.provider
    assert turn_.retries == []
    assert len(fake.requests()) == 1


async def test_a_broken_chain_is_repaired_by_resending_the_full_history(
    fake: FakeProviderServer, make_adapter
) -> None:
    history = (Message("user", "first"), Message("assistant", "answer"), Message("user", "next"))
    chained = TurnRequest(MODEL, history[-1:], previous_response_id="resp_lost_anchor")
    full = TurnRequest(MODEL, history)
    adapter = make_adapter(RESPONSES)
    requests = [chained]

    def on_retry(
        attempt: int, error: BaseException, classified: ClassifiedError, delay: float
    ) -> None:
        # What the runner does on chain_broken: drop the id, leave chain mode, send everything.
        if classified.chain_broken:
            requests.append(full)

    async def attempt(number: int) -> str:
        return "".join(
            [p.text async for p in adapter.stream(requests[-1]) if isinstance(p, TextDelta)]
        )

    text = await run_with_retry(attempt, on_retry=on_retry, sleep=InstantSleep())

    assert text == token_text(24)
    first, second = (r["body"] for r in fake.requests())
    assert (first["previous_response_id"], len(first["input"])) == ("resp_lost_anchor", 1)
    assert ("previous_response_id" not in second, len(second["input"])) == (True, 3)
