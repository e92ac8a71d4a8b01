"""Stamped tokens (each carries the moment it was sent) and the ``load-<R>tps-<S>s`` names.

The server runs on a virtual clock: its sleeps advance the clock instead of
waiting, so token *i* of a paced answer is sent at exactly ``T0 + i / rate``.
A stamp taken before the pacing wait (when the piece is encoded ahead of
time) would be one interval early, and these tests would see it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anthropic
import openai
import pytest

from chatcore.fakeprovider import (
    STAMPED_TOKEN,
    create_app,
    load_scenario,
    parse_scenario,
    stamp_token,
)
from chatcore.fakeprovider.outcomes import Outcome, ScenarioError, parse_outcome
from chatcore.fakeprovider.scenarios import SCENARIOS, choose_scenario
from tests.chatcore.fakeprovider import sdk
from tests.chatcore.fakeprovider.conftest import scenario
from tests.chatcore.fakeprovider.sdk import APIS, create, stream
from tests.fakeserver import FakeProviderServer

T0 = 1_732_483_200.0


class VirtualClock:
    """``sleep`` moves time forward at once; ``clock`` and ``wall_clock`` read it."""

    def __init__(self) -> None:
        self.now = 0.0

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return T0 + self.now


@pytest.fixture(scope="module")
def virtual() -> VirtualClock:
    return VirtualClock()


@pytest.fixture(scope="module")
def stamp_server(virtual: VirtualClock):
    app = create_app(sleep=virtual.sleep, clock=virtual.clock, wall_clock=virtual.wall_clock)
    with FakeProviderServer(app=app) as server:
        yield server


@pytest.fixture
async def clients(
    stamp_server: FakeProviderServer, virtual: VirtualClock
) -> AsyncIterator[tuple[openai.AsyncOpenAI, anthropic.AsyncAnthropic]]:
    stamp_server.reset()
    virtual.now = 0.0
    oc = sdk.openai_client(stamp_server.openai_base_url)
    ac = sdk.anthropic_client(stamp_server.anthropic_base_url)
    async with oc, ac:
        yield oc, ac


def stamps(text: str) -> list[tuple[int, float]]:
    """(index, send time) of every stamped token; the text must be nothing else."""
    found = [(int(m[1]), float(m[2])) for m in STAMPED_TOKEN.finditer(text)]
    assert "".join(stamp_token(index, at) for index, at in found) == text
    return found


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "model, headers, count, rate",
    [
        pytest.param(
            "fake-model",
            scenario({"kind": "ok", "tokens": 6, "rate": 20, "stamp": True}),
            6,
            20.0,
            id="stamp_outcome_in_the_header",
        ),
        pytest.param("load-20tps-0.25s", None, 5, 20.0, id="load_name_is_rate_times_seconds"),
        pytest.param("load-2.5tps-2s", None, 5, 2.5, id="load_name_with_decimals"),
    ],
)
async def test_each_token_is_stamped_with_the_time_it_was_sent(
    api, model, headers, count, rate, clients
):
    result = await stream(api, *clients, model=model, headers=headers)

    assert stamps(result.text) == [
        (index, pytest.approx(T0 + index / rate, abs=2e-6)) for index in range(count)
    ]
    assert result.deltas == count
    assert result.finish in {"stop", "completed", "end_turn"}


@pytest.mark.parametrize("api", APIS)
async def test_a_stamped_document_stamps_every_token_once(api, clients):
    headers = scenario({"kind": "ok", "tokens": 3, "stamp": True})

    result = await create(api, *clients, headers=headers)

    assert stamps(result.text) == [(index, pytest.approx(T0, abs=2e-6)) for index in range(3)]


async def test_a_stamped_truncation_stamps_only_what_it_sends(clients):
    headers = scenario({"kind": "truncate", "after": 2, "tokens": 9, "rate": 10, "stamp": True})

    # The raw SDK does not notice the missing terminal chunk; our adapter does.
    result = await stream("chat", *clients, headers=headers)

    assert stamps(result.text) == [(0, pytest.approx(T0)), (1, pytest.approx(T0 + 0.1))]
    assert result.finish is None


def test_stamp_token_has_the_documented_form():
    assert stamp_token(17, 1_732_483_200.1234564) == "t17@1732483200.123456 "
    assert STAMPED_TOKEN.fullmatch("t17@1732483200.123456 ") is not None


@pytest.mark.parametrize(
    "name, expected",
    [
        pytest.param(
            "load-20tps-20s",
            Outcome(kind="ok", tokens=400, rate=20.0, stamp=True),
            id="the_benchmark_default",
        ),
        pytest.param(
            "load-2.5tps-3s",
            Outcome(kind="ok", tokens=8, rate=2.5, stamp=True),
            id="decimals_round_the_token_count",
        ),
        pytest.param("load-0tps-20s", None, id="zero_rate_is_not_a_load_name"),
        pytest.param("load-20tps", None, id="seconds_are_required"),
        pytest.param("load-20tps-20s-extra", None, id="whole_name_must_match"),
        pytest.param("xload-20tps-20s", None, id="prefix_must_match"),
        pytest.param("echo", None, id="demo_names_are_not_load_names"),
    ],
)
def test_load_names(name, expected):
    outcomes = load_scenario(name)

    assert outcomes == (None if expected is None else (expected,))


def test_a_load_name_is_chosen_by_model_but_the_header_still_wins():
    assert choose_scenario(None, "load-20tps-1s") == load_scenario("load-20tps-1s")
    assert choose_scenario('{"kind": "auth"}', "load-20tps-1s") == parse_scenario(
        '{"kind": "auth"}', named=SCENARIOS
    )


@pytest.mark.parametrize("value", ["yes", 1, None], ids=["string", "number", "null"])
def test_stamp_must_be_a_boolean(value):
    with pytest.raises(ScenarioError, match="'stamp' has the wrong type"):
        parse_outcome({"kind": "ok", "stamp": value})
