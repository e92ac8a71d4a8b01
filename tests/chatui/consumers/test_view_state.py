"""`chatui.live.ChatView`: what a page shows for a snapshot and after each event."""

from __future__ import annotations

from typing import Any

import pytest

from chatui.live import ALL_PARTS, ChatView, Part

RETRY = {
    "attempt": 2,
    "delay_ms": 4000,
    "retrying_at": "2030-01-01T00:00:04Z",
    "error": "Busy.",
    "kind": "overloaded",
    "status_code": 529,
}
ERROR = {
    "message": "Quota exhausted.",
    "kind": "usage_limit",
    "retryable": False,
    "status_code": 429,
}


def _snapshot(
    status: str, live: dict[str, Any] | None = None, last_error: Any = None
) -> dict[str, Any]:
    return {
        "chat": 7,
        "seq": 41,
        "status": status,
        "last_error": last_error,
        "messages": [],
        "live": live or {},
    }


def _shown(view: ChatView) -> str | None:
    callout = view.region()["callout"]
    return callout["phase"] if callout else None


@pytest.mark.parametrize(
    ("snapshot", "phase", "callout", "text"),
    [
        pytest.param(_snapshot("idle"), "idle", None, "", id="idle_shows_nothing"),
        pytest.param(
            _snapshot("failed", last_error=ERROR),
            "idle",
            "failed",
            "",
            id="persisted_error_after_reload",
        ),
        pytest.param(
            _snapshot("pending"), "starting", "starting", "", id="queued_turn_is_starting"
        ),
        pytest.param(
            _snapshot("running", {"phase": "streaming", "text": "Hel"}),
            "streaming",
            None,
            "Hel",
            id="streaming_carries_its_text",
        ),
        pytest.param(
            _snapshot("waiting_retry", {"phase": "waiting_retry", "retry": RETRY, "text": "x"}),
            "idle",
            "retrying",
            "",
            id="retry_keeps_its_payload",
        ),
        pytest.param(
            _snapshot("running", {"phase": "failed"}),
            "idle",
            None,
            "",
            id="runner_already_ended_the_turn",
        ),
        pytest.param(
            _snapshot("idle", {"phase": "streaming", "text": "old"}, last_error=None),
            "idle",
            None,
            "",
            id="stale_live_state_of_an_idle_chat_is_ignored",
        ),
    ],
)
def test_a_snapshot_becomes_the_page_state(snapshot, phase, callout, text) -> None:
    view = ChatView.from_snapshot(snapshot)
    assert (view.seq, view.phase, _shown(view), view.text) == (41, phase, callout, text)


@pytest.mark.parametrize(
    ("event", "data", "parts", "callout", "stop"),
    [
        pytest.param(
            "status",
            {"phase": "starting"},
            ALL_PARTS,
            "starting",
            True,
            id="starting_rerenders_all",
        ),
        pytest.param(
            "status",
            {"phase": "streaming"},
            {Part.CALLOUT, Part.CONTROLS},
            None,
            True,
            id="streaming_clears_callout_shows_stop",
        ),
        pytest.param(
            "retry", RETRY, ALL_PARTS, "retrying", True, id="retry_drops_text_shows_countdown"
        ),
        pytest.param("error", ERROR, ALL_PARTS, "failed", False, id="error_shows_failed"),
        pytest.param(
            "done", {"message_id": 3}, ALL_PARTS, None, False, id="done_clears_everything"
        ),
        pytest.param("status", {"phase": "idle"}, ALL_PARTS, None, False, id="stopped_turn_clears"),
        pytest.param("delta", {"text": "x"}, set(), None, True, id="delta_changes_no_part"),
        pytest.param("mystery", {}, set(), None, True, id="unknown_event_changes_nothing"),
    ],
)
def test_each_event_rerenders_what_it_changes(event, data, parts, callout, stop) -> None:
    view = ChatView.from_snapshot(_snapshot("running", {"phase": "streaming"}))
    assert view.apply(event, data) == frozenset(parts)
    assert _shown(view) == callout
    assert view.shows_stop() is stop


def test_a_new_attempt_supersedes_the_previous_error() -> None:
    view = ChatView.from_snapshot(_snapshot("failed", last_error=ERROR))
    view.apply("status", {"phase": "starting"})
    assert _shown(view) == "starting"
    assert view.persisted_error is None and view.stream_error is None


@pytest.mark.parametrize(
    ("own", "link"),
    [
        pytest.param(True, "/usage/", id="our_own_limit_links_to_usage"),
        pytest.param(False, "", id="provider_quota_never_does"),
    ],
)
def test_view_usage_only_for_our_own_limit(own: bool, link: str) -> None:
    view = ChatView.from_snapshot(_snapshot("idle"))
    if own:
        view.refused(
            {"message": "You have used all 5 turns.", "kind": "usage_limit", "retryable": False}
        )
    else:
        view.apply("error", {**ERROR, "status_code": 0})
    assert view.region()["callout"]["usage_url"] == link
