"""The provider status line: reading health.changed payloads, combining a chat's rows, the
words it shows, and which messages a page's ``HealthWatch`` answers with a fragment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatcore.contract import format_utc
from chatcore.health import HealthView
from chatui import provider_status
from chatui.gallery.dom import parse_html, select, text_of
from chatui.provider_status import HealthWatch, combine_views, read_health, status_context
from chatui.templatetags.chat_components import render_component
from tests.public_api import assert_all_is_complete

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=45)


def _view(**fields: Any) -> HealthView:
    values: dict[str, Any] = {
        "provider_id": 1,
        "provider": "Anthropic",
        "model": "",
        "state": "cooldown",
        "until": LATER,
        "kind": "overloaded",
        "waiting": 12,
    }
    values.update(fields)
    return HealthView(**values)


def test_all_lists_the_public_names() -> None:
    assert_all_is_complete(provider_status.__name__)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(_view().to_dict(), _view(), id="round_trips_to_dict"),
        pytest.param(
            {**_view().to_dict(), "until": ""}, _view(until=None), id="no_deadline_is_none"
        ),
        pytest.param(
            {**_view().to_dict(), "until": "soon"}, _view(until=None), id="garbage_deadline"
        ),
        pytest.param({**_view().to_dict(), "waiting": "12"}, _view(waiting=0), id="waiting_text"),
        pytest.param({**_view().to_dict(), "waiting": True}, _view(waiting=0), id="waiting_bool"),
        pytest.param({**_view().to_dict(), "kind": " Rate_Limit "}, _view(kind="rate_limit")),
        pytest.param({**_view().to_dict(), "provider_id": 0}, None, id="no_provider"),
        pytest.param({**_view().to_dict(), "provider_id": True}, None, id="bool_is_no_id"),
        pytest.param({**_view().to_dict(), "provider_id": "1"}, None, id="id_must_be_a_number"),
        pytest.param({**_view().to_dict(), "state": "melting"}, None, id="unknown_state"),
        pytest.param(["not", "a", "mapping"], None, id="not_a_mapping"),
        pytest.param(None, None, id="nothing"),
    ],
)
def test_read_health(payload: object, expected: HealthView | None) -> None:
    assert read_health(payload) == expected


def test_a_chats_rows_combine_worst_state_latest_deadline_most_waiting() -> None:
    key = _view(model="", state="cooldown", until=LATER, kind="rate_limit", waiting=3)
    model = _view(model="m", state="open", until=NOW + timedelta(seconds=20), kind="timeout")
    combined = combine_views([key, model], model="m", now=NOW)
    assert combined == _view(model="m", state="open", until=LATER, kind="timeout", waiting=12)


def test_a_cooldown_that_ran_out_counts_as_ok_when_combining() -> None:
    stale = _view(state="cooldown", until=NOW - timedelta(seconds=1), waiting=0)
    assert combine_views([stale], model="m", now=NOW) == _view(
        model="m", state="ok", until=None, kind="", waiting=0
    )
    assert combine_views([], model="m", now=NOW) is None


def test_the_status_context_of_a_cooldown() -> None:
    assert status_context(_view(), now=NOW) == {
        "provider": "Anthropic",
        "model": "",
        "state": "cooldown",
        "state_label": "Cooling down",
        "kind": "overloaded",
        "headline": "Anthropic is overloaded",
        "facts": "12 chats waiting",
        "until": "2026-05-01T12:00:45.000Z",
        "until_label": "12:00:45 UTC",
    }


@pytest.mark.parametrize(
    ("view", "show_model", "text"),
    [
        pytest.param(
            _view(),
            False,
            "Anthropic is overloaded: 12 chats waiting, next try 12:00:45 UTC",
            id="cooldown_overloaded",
        ),
        pytest.param(
            _view(kind="rate_limit", waiting=1),
            False,
            "Anthropic is rate limiting requests: 1 chat waiting, next try 12:00:45 UTC",
            id="one_chat_is_singular",
        ),
        pytest.param(
            _view(state="open", kind="timeout", waiting=0),
            False,
            "Anthropic is not responding in time: requests paused, next try 12:00:45 UTC",
            id="open_breaker_no_one_waiting",
        ),
        pytest.param(
            _view(state="half_open", until=None),
            False,
            "Anthropic is recovering: trying one request, 12 chats waiting",
            id="half_open_probe",
        ),
        pytest.param(
            _view(model="claude-sonnet"),
            True,
            "claude-sonnet on Anthropic is overloaded: 12 chats waiting, next try 12:00:45 UTC",
            id="picker_names_the_model",
        ),
        pytest.param(
            _view(model="claude-sonnet"),
            False,
            "Anthropic is overloaded: 12 chats waiting, next try 12:00:45 UTC",
            id="chat_page_names_the_provider",
        ),
        pytest.param(
            _view(kind="quota_paused_for_review", waiting=0),
            False,
            "Anthropic is having trouble (Quota paused for review): next try 12:00:45 UTC",
            id="unknown_kind_is_humanised",
        ),
        pytest.param(
            _view(provider="", waiting=0),
            False,
            "The AI provider is overloaded: next try 12:00:45 UTC",
            id="nameless_provider",
        ),
    ],
)
def test_the_line_reads(view: HealthView, show_model: bool, text: str) -> None:
    line = status_context(view, show_model=show_model, now=NOW)
    assert line is not None
    root = parse_html(render_component("provider_status", line))
    (status,) = select(root, "[data-provider-status]")
    assert status.attrs["data-state"] == view.state
    assert text_of(select(status, "[data-provider-status-text]")[0]) == text


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(_view(state="ok", until=None, kind="", waiting=0), id="ok"),
        pytest.param(_view(until=NOW - timedelta(seconds=1)), id="cooldown_ran_out"),
        pytest.param(_view(until=None), id="cooldown_without_deadline"),
        pytest.param(None, id="no_view"),
    ],
)
def test_nothing_is_shown_while_ok(view: HealthView | None) -> None:
    assert status_context(view, now=NOW) is None


def test_the_provider_name_is_text_never_markup() -> None:
    line = status_context(_view(provider='<img src=x onerror="alert(1)">'), now=NOW)
    assert line is not None
    html = render_component("provider_status", line)
    assert "<img" not in html
    (status,) = select(parse_html(html), "[data-provider-status]")
    assert status.attrs["data-provider"] == '<img src=x onerror="alert(1)">'
    assert text_of(status).startswith('Cooling down: <img src=x onerror="alert(1)"> is overloaded')


def _chat_watch() -> HealthWatch:
    watch = HealthWatch(frozenset({1}), "m")
    watch.render(now=NOW)
    return watch


def _slot(html: str) -> list[dict[str, str]]:
    (slot,) = select(parse_html(html), "[data-provider-status-slot]")
    assert slot.attrs["hx-swap-oob"] == "true"
    return [node.attrs for node in select(slot, "[data-provider-status]")]


def test_a_chat_page_follows_its_provider_key_and_model_only() -> None:
    watch = _chat_watch()
    other_provider = _view(provider_id=2, provider="OpenAI").to_dict()
    other_model = _view(model="other").to_dict()
    assert watch.update(other_provider, now=NOW) == ""
    assert watch.update(other_model, now=NOW) == ""

    (line,) = _slot(watch.update(_view(model="m").to_dict(), now=NOW))
    assert (line["data-provider"], line["data-state"]) == ("Anthropic", "cooldown")
    assert watch.update(_view(model="m").to_dict(), now=NOW) == "", "nothing changed"

    # The key-wide row opens: the worse state shows.
    (line,) = _slot(watch.update(_view(model="", state="open").to_dict(), now=NOW))
    assert line["data-state"] == "open"
    # Both recover: the slot empties.
    watch.update(_view(model="m", state="ok", until=None, kind="").to_dict(), now=NOW)
    recovered = _view(model="", state="ok", until=None, kind="", waiting=0).to_dict()
    assert _slot(watch.update(recovered, now=NOW)) == []


def test_a_new_waiting_count_is_sent() -> None:
    watch = _chat_watch()
    watch.update(_view(model="m", waiting=2).to_dict(), now=NOW)
    html = watch.update(_view(model="m", waiting=3).to_dict(), now=NOW)
    assert "3 chats waiting" in text_of(parse_html(html))


def test_the_picker_lists_every_degraded_row_of_its_providers() -> None:
    watch = HealthWatch(frozenset({1, 2}))
    watch.seed([_view(provider_id=3, provider="Disabled one")])
    watch.render(now=NOW)
    assert watch.update(_view(provider_id=3, provider="Disabled one").to_dict(), now=NOW) == ""
    watch.update(
        _view(provider_id=2, provider="openai", model="gpt", state="open").to_dict(), now=NOW
    )
    html = watch.update(_view(model="claude").to_dict(), now=NOW)
    (slot,) = select(parse_html(html), "[data-provider-status-list]")
    lines = select(slot, "[data-provider-status]")
    assert [(n.attrs["data-provider"], n.attrs["data-model"]) for n in lines] == [
        ("Anthropic", "claude"),
        ("openai", "gpt"),
    ]
    assert text_of(select(lines[1], "[data-provider-status-text]")[0]).startswith(
        "gpt on openai is overloaded: requests paused"
    )


def test_the_deadline_is_a_local_time_and_a_countdown() -> None:
    line = status_context(_view(until=datetime.now(UTC) + timedelta(seconds=30)))
    assert line is not None
    root = parse_html(render_component("provider_status", line))
    (time,) = select(root, "time[data-next-try]")
    assert time.attrs["datetime"] == line["until"] and time.attrs["data-local-time"] == "time"
    (countdown,) = select(root, "[data-countdown]")
    assert countdown.attrs["data-deadline"] == format_utc(datetime.fromisoformat(line["until"]))
    assert text_of(countdown) in {"(in 30s)", "(in 29s)"}
