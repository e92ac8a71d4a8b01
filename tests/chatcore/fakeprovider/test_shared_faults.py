"""Faults shared by every conversation: an outage of the whole model, a key's rate limit."""

from __future__ import annotations

import httpx
import pytest

from chatcore.fakeprovider import create_app
from chatcore.fakeprovider.shared import (
    DEMO_KEY_LIMIT,
    DEMO_OUTAGE_SECONDS,
    SharedFault,
    shared_fault,
)
from tests.fakeserver import FakeProviderServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock):
    with FakeProviderServer(app=create_app(clock=clock, state_ttl=60.0)) as fake:
        yield fake


def ask(
    server, model: str, conversation: str, *, key: str = "k1", scenario: str = ""
) -> httpx.Response:
    headers = {"X-Fake-Conversation": conversation, "Authorization": f"Bearer {key}"}
    if scenario:
        headers["X-Fake-Scenario"] = scenario
    return httpx.post(
        f"{server.openai_base_url}/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        headers=headers,
        timeout=10,
    )


@pytest.mark.parametrize(
    ("model", "fault"),
    [
        pytest.param("demo-outage", SharedFault(outage=DEMO_OUTAGE_SECONDS), id="demo_outage"),
        pytest.param("outage-30s", SharedFault(outage=30.0), id="outage_seconds"),
        pytest.param("outage-2.5s", SharedFault(outage=2.5), id="outage_decimal"),
        pytest.param(
            "demo-key-limit",
            SharedFault(limit=DEMO_KEY_LIMIT[0], per=DEMO_KEY_LIMIT[1]),
            id="demo_key_limit",
        ),
        pytest.param("keylimit-2per10s", SharedFault(limit=2, per=10.0), id="key_limit"),
        pytest.param("keylimit-0per10s", None, id="zero_limit_is_no_fault"),
        pytest.param("outage-s", None, id="no_duration"),
        pytest.param("demo-overloaded", None, id="scripted_per_conversation"),
    ],
)
def test_model_names_select_shared_faults(model, fault) -> None:
    assert shared_fault(model) == fault


def test_an_outage_fails_every_conversation_until_it_recovers(server, clock) -> None:
    statuses = [ask(server, "outage-10s", f"c{i}").status_code for i in range(4)]
    clock.now += 9.9
    statuses.append(ask(server, "outage-10s", "late newcomer").status_code)
    assert statuses == [529] * 5
    clock.now += 0.1
    answers = [ask(server, "outage-10s", f"c{i}") for i in range(3)]
    assert [r.status_code for r in answers] == [200] * 3
    # Another model is not affected, and the outage is per model.
    assert ask(server, "echo", "other").status_code == 200


def test_an_idle_outage_is_forgotten_so_the_demo_repeats(server, clock) -> None:
    assert ask(server, "outage-5s", "a").status_code == 529
    clock.now += 5
    assert ask(server, "outage-5s", "a").status_code == 200
    clock.now += 61  # longer than state_ttl without a request
    assert ask(server, "outage-5s", "b").status_code == 529


def test_a_scenario_header_overrides_the_shared_fault(server) -> None:
    assert ask(server, "outage-10s", "a", scenario='{"kind": "ok"}').status_code == 200


def test_a_key_limit_shares_its_retry_after_across_conversations(server, clock) -> None:
    first = [ask(server, "keylimit-2per10s", f"c{i}") for i in range(2)]
    clock.now += 3.2
    refused = [ask(server, "keylimit-2per10s", f"c{i}") for i in range(2, 4)]
    other_key = ask(server, "keylimit-2per10s", "c9", key="k2")
    assert [r.status_code for r in first] == [200, 200]
    # Both conversations wait for the same window end: 10 - 3.2 s, rounded up.
    assert [(r.status_code, r.headers["retry-after"]) for r in refused] == [(429, "7")] * 2
    assert other_key.status_code == 200
    clock.now += 6.8  # the window ends
    assert ask(server, "keylimit-2per10s", "c2").status_code == 200
