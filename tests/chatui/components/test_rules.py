"""The pure rules of chatui.components: titles, priority, links, countdown maths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatcore.contract import ChatError, ChatRetry, Phase
from chatcore.errors import ClassifiedError, ErrorKind
from chatui import components
from chatui.components import (
    DELAYED_START_TITLE,
    THINKING_TITLE,
    CalloutChoice,
    CalloutState,
    PageState,
    callout_context,
    callout_title,
    seconds_until,
    select_callout,
    shared_wait_title,
    shows_usage_link,
    status_page_url,
)

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_all_lists_the_public_names() -> None:
    public = {
        name
        for name, value in vars(components).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == components.__name__
    }
    assert public <= set(components.__all__)
    assert all(hasattr(components, name) for name in components.__all__)


@pytest.mark.parametrize(
    ("phase", "kind", "title"),
    [
        pytest.param("retrying", "overloaded", "Service overloaded", id="retrying_overloaded"),
        pytest.param("retrying", "rate_limit", "Rate limited", id="retrying_rate_limit"),
        pytest.param("retrying", "timeout", "Request timed out", id="retrying_timeout"),
        pytest.param(
            "retrying", "startup_timeout", "Startup timed out", id="retrying_startup_timeout"
        ),
        pytest.param("retrying", "auth", "Authentication failed", id="retrying_auth"),
        pytest.param("retrying", "config", "Configuration error", id="retrying_config"),
        pytest.param("retrying", "generic", "Retrying request", id="retrying_other_kinds_default"),
        pytest.param("retrying", "usage_limit", "Retrying request", id="retrying_usage_default"),
        pytest.param("retrying", "brand_new_kind", "Retrying request", id="retrying_unknown_kind"),
        pytest.param("failed", "missing_key", "Chat interrupted", id="failed_missing_key"),
        pytest.param("failed", "rate_limit", "Request failed", id="failed_default_rate_limit"),
        pytest.param("failed", "overloaded", "Request failed", id="failed_default_overloaded"),
        pytest.param("failed", "auth", "Request failed", id="failed_default_auth"),
        pytest.param("failed", "generic", "Request failed", id="failed_default_generic"),
        pytest.param("failed", "brand_new_kind", "Request failed", id="failed_unknown_kind"),
        pytest.param("reconnecting", "", "Connection lost", id="reconnecting"),
        pytest.param("starting", "", THINKING_TITLE, id="starting_thinking"),
    ],
)
def test_callout_title(phase: str, kind: str, title: str) -> None:
    assert callout_title(phase, kind) == title


def test_every_error_kind_has_a_title_in_both_phases() -> None:
    for kind in ErrorKind:
        assert callout_title("retrying", kind)
        assert callout_title("failed", kind)


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        pytest.param("anthropic", "https://status.anthropic.com", id="anthropic"),
        pytest.param("openai", "https://status.openai.com", id="openai"),
        pytest.param("Claude", "https://status.anthropic.com", id="alias_is_normalised"),
        pytest.param(" OpenAI ", "https://status.openai.com", id="case_and_space_folded"),
        pytest.param("azure openai", "https://azure.status.microsoft", id="azure_alias"),
        pytest.param("openai-compat", "", id="self_hosted_has_no_status_page"),
        pytest.param("", "", id="unknown_provider"),
        pytest.param(None, "", id="no_provider"),
    ],
)
def test_status_page_url(provider: str | None, url: str) -> None:
    assert status_page_url(provider) == url


@pytest.mark.parametrize(
    ("kind", "provider", "shown"),
    [
        pytest.param("usage_limit", "", True, id="our_own_limit_links_usage"),
        pytest.param("usage_limit", None, True, id="our_own_limit_none_provider"),
        pytest.param("usage_limit", "openai", False, id="provider_quota_never_links_usage"),
        pytest.param("usage_limit", "Anthropic", False, id="provider_quota_any_case"),
        pytest.param("rate_limit", "", False, id="other_kinds_never_link_usage"),
        pytest.param("auth", "", False, id="auth_never_links_usage"),
    ],
)
def test_shows_usage_link(kind: str, provider: str | None, shown: bool) -> None:
    assert shows_usage_link(kind, provider) is shown


RETRY = ChatRetry.from_json(
    {"attempt": 2, "retrying_at": "2026-05-01T12:00:05.000Z", "error": "x", "kind": "timeout"}
)
STREAM_ERROR = ChatError.from_json(
    {"message": "stream failed", "kind": "timeout", "retryable": True}
)
PERSISTED = ChatError.from_json({"message": "old failure", "kind": "auth", "retryable": False})
RECONNECT = {"attempt": 1, "deadline": "2026-05-01T12:00:02.000Z"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param(
            PageState(
                retry=RETRY,
                stream_error=STREAM_ERROR,
                reconnect=RECONNECT,
                phase=Phase.STARTING,
                persisted_error=PERSISTED,
            ),
            CalloutChoice(CalloutState.RETRYING, RETRY),
            id="retrying_beats_everything",
        ),
        pytest.param(
            PageState(stream_error=STREAM_ERROR, reconnect=RECONNECT, persisted_error=PERSISTED),
            CalloutChoice(CalloutState.FAILED, STREAM_ERROR),
            id="stream_error_beats_reconnecting",
        ),
        pytest.param(
            PageState(reconnect=RECONNECT, phase=Phase.STARTING, persisted_error=PERSISTED),
            CalloutChoice(CalloutState.RECONNECTING, RECONNECT),
            id="reconnecting_beats_starting",
        ),
        pytest.param(
            PageState(
                phase=Phase.STARTING, started_at="2026-05-01T12:00:00Z", persisted_error=PERSISTED
            ),
            CalloutChoice(CalloutState.STARTING, {"started_at": "2026-05-01T12:00:00Z"}),
            id="starting_beats_persisted_error",
        ),
        pytest.param(
            PageState(phase=Phase.STREAMING, persisted_error=PERSISTED),
            CalloutChoice(None, {}),
            id="streaming_hides_persisted_error_and_shows_no_callout",
        ),
        pytest.param(
            PageState(phase=Phase.IDLE, persisted_error=PERSISTED),
            CalloutChoice(CalloutState.FAILED, PERSISTED),
            id="idle_shows_persisted_error",
        ),
        pytest.param(PageState(), None, id="idle_with_nothing_shows_nothing"),
        pytest.param(
            PageState(phase=Phase.STREAMING), CalloutChoice(None, {}), id="streaming_shows_nothing"
        ),
    ],
)
def test_select_callout_priority(state: PageState, expected: CalloutChoice | None) -> None:
    assert select_callout(state) == expected


@pytest.mark.parametrize(
    ("deadline", "seconds"),
    [
        pytest.param(NOW + timedelta(seconds=3), 3, id="whole_seconds"),
        pytest.param(NOW + timedelta(seconds=2, milliseconds=1), 3, id="rounds_up"),
        pytest.param(NOW + timedelta(milliseconds=1), 1, id="last_millisecond_is_1s"),
        pytest.param(NOW, 0, id="zero_at_deadline"),
        pytest.param(NOW - timedelta(seconds=5), 0, id="never_negative"),
        pytest.param("2026-05-01T12:00:59.000Z", 59, id="iso_with_z"),
        pytest.param("2026-05-01T12:10:00+00:00", 600, id="iso_with_offset"),
        pytest.param("2026-05-01T14:00:10+02:00", 10, id="other_time_zone"),
        pytest.param("2026-05-01T12:00:07", 7, id="naive_means_utc"),
        pytest.param("not a time", 0, id="garbage_is_zero"),
        pytest.param("", 0, id="empty_is_zero"),
        pytest.param(None, 0, id="none_is_zero"),
        pytest.param(12, 0, id="number_is_zero"),
    ],
)
def test_seconds_until(deadline: object, seconds: int) -> None:
    assert seconds_until(deadline, NOW) == seconds


def _retry_payload(**fields: Any) -> dict[str, Any]:
    classified = ClassifiedError(
        kind=fields.pop("kind", "rate_limit"),
        provider=fields.pop("provider", "anthropic"),
        status_code=fields.pop("status_code", 429),
        retryable=True,
    )
    retry = ChatRetry.from_classified(
        classified, attempt=fields.pop("attempt", 2), delay=fields.pop("delay", 5.0), now=NOW
    )
    payload = retry.to_json()
    payload.update(fields)
    return payload


def test_retrying_context_is_built_from_the_chat_retry_payload() -> None:
    context = callout_context("retrying", _retry_payload(), now=NOW)
    assert context == {
        "dom_id": "chat-callout",
        "phase": "retrying",
        "kind": "rate_limit",
        "label": "Rate limit",
        "title": "Rate limited",
        "message": "Anthropic is rate limiting requests.",
        "attempt": 2,
        "status_code": 429,
        "detail": "",
        "detail_mono": False,
        "deadline": "2026-05-01T12:00:05.000Z",
        "countdown_verb": "Retrying",
        "not_before": "",
        "retry_now_disabled": False,
        "started_at": "",
        "delayed": False,
        "shared": False,
        "delayed_title": DELAYED_START_TITLE,
        "delayed_after": 15,
        "status_url": "",
        "usage_url": "",
        "hint": "",
        "fallback": None,
        "actions": {"retry_now": True, "stop": True, "try_again": False},
        "announce": "Rate limited. Anthropic is rate limiting requests. Attempt 2.",
        # "Rate limited" already says "Rate limit": the pill is not shown.
        "pill_redundant": True,
    }


def test_a_fallback_retry_gets_its_note_title_and_announcement() -> None:
    payload = _retry_payload(
        kind="overloaded",
        status_code=529,
        from_model="claude-sonnet",
        to_model="claude-haiku",
        reason="overloaded",
        error="Switched to claude-haiku: Anthropic's claude-sonnet is overloaded.",
    )
    plain = callout_context("retrying", {**payload, "from_model": "", "to_model": ""}, now=NOW)
    context = callout_context("retrying", payload, now=NOW)
    note = "Switched to claude-haiku: Anthropic's claude-sonnet is overloaded."
    assert context == {
        **plain,
        "title": "Switching model",
        "message": "",
        "countdown_verb": "Switching",
        "fallback": {
            "from_model": "claude-sonnet",
            "to_model": "claude-haiku",
            "reason": "overloaded",
            "text": note,
        },
        # The title no longer names the kind: the pill says what failed.
        "pill_redundant": False,
        "announce": f"Switching model. Overloaded. {note.rstrip('.')}. Attempt 2.",
    }
    assert plain["fallback"] is None and plain["pill_redundant"] is True


def test_a_shared_wait_names_the_providers_recovery_not_the_attempt() -> None:
    context = callout_context(
        "retrying", _retry_payload(kind="overloaded", status_code=529, shared=True), now=NOW
    )
    assert context == {
        "dom_id": "chat-callout",
        "phase": "retrying",
        "kind": "overloaded",
        "label": "Overloaded",
        "title": "Waiting for Anthropic to recover",
        "message": "Anthropic is temporarily overloaded.",
        "attempt": 2,
        "status_code": 529,
        "detail": "",
        "detail_mono": False,
        "deadline": "2026-05-01T12:00:05.000Z",
        "countdown_verb": "Next try",
        "not_before": "",
        "retry_now_disabled": False,
        "started_at": "",
        "delayed": False,
        "shared": True,
        "fallback": None,
        "delayed_title": DELAYED_START_TITLE,
        "delayed_after": 15,
        "status_url": "https://status.anthropic.com",
        "usage_url": "",
        "hint": "Every chat using Anthropic waits for this same moment.",
        "actions": {"retry_now": True, "stop": True, "try_again": False},
        "announce": (
            "Waiting for Anthropic to recover. Overloaded. Anthropic is temporarily overloaded. "
            "Attempt 2."
        ),
        # The title names the provider, not the kind: the pill is shown.
        "pill_redundant": False,
    }


@pytest.mark.parametrize(
    ("kind", "provider", "title"),
    [
        pytest.param("overloaded", "anthropic", "Waiting for Anthropic to recover", id="overload"),
        pytest.param(
            "rate_limit",
            "openai",
            "Waiting for OpenAI's rate limit to reset",
            id="rate_limit_names_the_limit",
        ),
        pytest.param("timeout", "", "Waiting for the AI provider to recover", id="unnamed"),
        pytest.param(
            "rate_limit", "", "Waiting for the AI provider's rate limit to reset", id="unnamed_rl"
        ),
    ],
)
def test_shared_wait_titles(kind: str, provider: str, title: str) -> None:
    assert shared_wait_title(kind, provider) == title


def test_a_retry_not_shared_keeps_its_per_attempt_title() -> None:
    context = callout_context("retrying", _retry_payload(shared=False), now=NOW)
    assert (context["title"], context["countdown_verb"], context["shared"]) == (
        "Rate limited",
        "Retrying",
        False,
    )


def test_failed_context_is_built_from_the_chat_error_payload() -> None:
    payload = ChatError.from_classified(
        ClassifiedError(
            kind="generic",
            provider="anthropic",
            message="Anthropic returned an unexpected error. Send the message again.",
            detail="image exceeds 5 MB maximum",
            status_code=500,
            retryable=True,
        )
    )
    context = callout_context("failed", payload, now=NOW)
    assert {key: context[key] for key in ("title", "label", "message", "detail")} == {
        "title": "Request failed",
        "label": "Unexpected error",
        "message": "Anthropic returned an unexpected error. Send the message again.",
        "detail": "image exceeds 5 MB maximum",
    }
    assert context["detail_mono"] is True
    assert context["status_code"] == 500
    assert context["countdown_verb"] == ""
    assert context["actions"] == {"retry_now": False, "stop": False, "try_again": True}


@pytest.mark.parametrize(
    ("payload", "try_again"),
    [
        pytest.param({"kind": "timeout", "retryable": True}, True, id="retryable_offers_try_again"),
        pytest.param({"kind": "auth", "retryable": False}, False, id="terminal_kind_does_not"),
        pytest.param({"kind": "timeout"}, False, id="unknown_retryability_does_not"),
        pytest.param({"kind": "timeout", "retryable": "yes"}, False, id="only_a_real_true"),
    ],
)
def test_try_again_only_after_a_retryable_terminal_error(
    payload: dict[str, Any], try_again: bool
) -> None:
    assert callout_context("failed", payload, now=NOW)["actions"]["try_again"] is try_again


@pytest.mark.parametrize(
    ("not_before", "disabled"),
    [
        pytest.param("2026-05-01T12:00:20.000Z", True, id="floor_in_future_disables_retry_now"),
        pytest.param("2026-05-01T11:59:59.000Z", False, id="floor_passed_enables_retry_now"),
        pytest.param("", False, id="no_floor_enabled"),
        pytest.param("garbage", False, id="unreadable_floor_enabled"),
    ],
)
def test_retry_now_respects_the_provider_floor(not_before: str, disabled: bool) -> None:
    context = callout_context("retrying", _retry_payload(not_before=not_before), now=NOW)
    assert context["retry_now_disabled"] is disabled
    # An unreadable floor is no floor (the contract's reader drops it).
    assert context["not_before"] == (not_before if not_before != "garbage" else "")


@pytest.mark.parametrize(
    ("payload", "status_url", "usage_url"),
    [
        pytest.param(
            {"kind": "overloaded", "provider": "anthropic"},
            "https://status.anthropic.com",
            "",
            id="overloaded_known_provider_links_status",
        ),
        pytest.param(
            {"kind": "rate_limit", "provider": "anthropic"},
            "",
            "",
            id="status_link_only_overloaded",
        ),
        pytest.param({"kind": "overloaded"}, "", "", id="overloaded_unknown_provider_no_link"),
        pytest.param({"kind": "usage_limit"}, "", "/usage/", id="own_usage_limit_links_usage"),
        pytest.param(
            {"kind": "usage_limit", "provider": "openai"}, "", "", id="provider_quota_no_usage"
        ),
    ],
)
def test_links(payload: dict[str, Any], status_url: str, usage_url: str) -> None:
    context = callout_context("failed", payload, now=NOW)
    assert (context["status_url"], context["usage_url"]) == (status_url, usage_url)


def test_missing_key_guides_the_user_to_send_again() -> None:
    context = callout_context("failed", {"kind": "missing_key", "message": "gone"}, now=NOW)
    assert context["title"] == "Chat interrupted"
    assert context["label"] == "Missing API key"
    assert context["hint"].startswith("Send your message again")


@pytest.mark.parametrize(
    ("started_ago", "title", "delayed"),
    [
        pytest.param(0, THINKING_TITLE, False, id="fresh_start_thinking"),
        pytest.param(14.9, THINKING_TITLE, False, id="just_under_15s_thinking"),
        pytest.param(15, DELAYED_START_TITLE, True, id="at_15s_delayed"),
        pytest.param(90, DELAYED_START_TITLE, True, id="long_start_delayed"),
    ],
)
def test_starting_switches_after_15_seconds(started_ago: float, title: str, delayed: bool) -> None:
    started = (NOW - timedelta(seconds=started_ago)).isoformat()
    context = callout_context("starting", {"started_at": started}, now=NOW)
    assert (context["title"], context["delayed"]) == (title, delayed)
    assert context["actions"] == {"retry_now": False, "stop": True, "try_again": False}
    assert context["kind"] == ""


def test_reconnecting_context_counts_down_to_the_deadline() -> None:
    context = callout_context("reconnecting", RECONNECT, now=NOW)
    assert context["deadline"] == RECONNECT["deadline"]
    assert context["countdown_verb"] == "Reconnecting"
    assert context["attempt"] == 1
    assert context["message"]
    assert context["announce"].startswith("Connection lost.")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(None, id="none"),
        pytest.param({}, id="empty"),
        pytest.param({"kind": 5, "attempt": "x", "status_code": [1]}, id="wrong_types"),
        pytest.param({"attempt": -3, "status_code": True}, id="negative_and_bool"),
        pytest.param({"message": "   "}, id="blank_message"),
    ],
)
def test_malformed_persisted_payloads_degrade_to_a_generic_failure(payload: Any) -> None:
    context = callout_context("failed", payload, now=NOW)
    assert context["kind"] == "generic"
    assert context["label"] == "Unexpected error"
    assert context["title"] == "Request failed"
    assert context["attempt"] == 0
    assert context["status_code"] == 0


def test_unknown_phase_is_rejected() -> None:
    with pytest.raises(ValueError):
        callout_context("exploding", {}, now=NOW)


def test_announcement_never_contains_the_countdown() -> None:
    context = callout_context("retrying", _retry_payload(delay=42), now=NOW)
    assert "42" not in context["announce"]
    assert "Retrying in" not in context["announce"]


@pytest.mark.parametrize(
    ("status", "chip"),
    [
        pytest.param(503, 503, id="error_status_is_shown"),
        pytest.param(200, 0, id="an_error_inside_a_200_shows_no_http_200_chip"),
        pytest.param(0, 0, id="no_status"),
    ],
)
def test_the_status_chip_shows_error_statuses_only(status: int, chip: int) -> None:
    error = ChatError(message="m", kind="content_filter", status_code=status)
    assert callout_context("failed", error, now=NOW)["status_code"] == chip
    retry = ChatRetry.from_json({"attempt": 1, "kind": "generic", "status_code": status})
    assert callout_context("retrying", retry, now=NOW)["status_code"] == chip
