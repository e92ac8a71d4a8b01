"""The one contract (chatcore.contract): ChatError / ChatRetry JSON, Phase, the UTC helpers.

The JSON shapes are what the runner publishes, the database stores and every
page reads; a value equals its own round trip, and reading any JSON never
raises.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatcore.contract import ChatError, ChatRetry, Phase, format_utc, parse_utc
from chatcore.errors import ClassifiedError, ErrorKind, classify
from tests.public_api import assert_all_is_complete

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_all_is_complete() -> None:
    assert_all_is_complete("chatcore.contract")


def test_the_contract_imports_nothing_from_django() -> None:
    code = "import sys, chatcore.contract; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- the shapes, from a classification (moved from the classifier's message tests) --------


def test_error_payload_full() -> None:
    got = classify("status 529", provider="anthropic")
    assert ChatError.from_classified(got).to_json() == {
        "message": "Anthropic is overloaded and could not answer. Send the message again later.",
        "kind": "overloaded",
        "provider": "anthropic",
        "retryable": True,
        "status_code": 529,
        "detail": "status 529",
    }


def test_error_payload_omits_empty_optionals_and_fills_message() -> None:
    assert ChatError.from_classified(ClassifiedError(kind="")).to_json() == {
        "message": "The AI provider returned an unexpected error. Send the message again.",
        "kind": "generic",
        "retryable": False,
    }


def test_payload_kinds_are_plain_strings() -> None:
    payload = ChatError.from_classified(classify("status 429")).to_json()
    assert type(payload["kind"]) is str


def test_retry_payload() -> None:
    got = classify("status 503", provider="openai")
    assert ChatRetry.from_classified(got, attempt=3, delay=4.25, now=NOW).to_json() == {
        "attempt": 3,
        "delay_ms": 4250,
        "retrying_at": "2026-05-01T12:00:04.250Z",
        "error": "OpenAI is temporarily unavailable.",
        "kind": "timeout",
        "provider": "openai",
        "status_code": 503,
    }


def test_retry_payload_converts_other_zones_to_utc() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    payload = ChatRetry.from_classified(
        ClassifiedError(kind=ErrorKind.RATE_LIMIT), attempt=1, delay=1.0, now=local
    ).to_json()
    assert payload["retrying_at"] == "2026-05-01T12:00:01.000Z"
    assert "provider" not in payload and "status_code" not in payload


@pytest.mark.parametrize(
    ("floor_in", "expected"),
    [
        pytest.param(2.0, "2026-05-01T12:00:02.000Z", id="floor_before_the_retry"),
        pytest.param(90.0, "2026-05-01T12:00:05.000Z", id="floor_never_after_retrying_at"),
        pytest.param(None, None, id="no_floor"),
    ],
)
def test_not_before_is_the_floor_and_never_after_the_retry(
    floor_in: float | None, expected: str | None
) -> None:
    floor = None if floor_in is None else NOW + timedelta(seconds=floor_in)
    retry = ChatRetry.from_classified(
        ClassifiedError(kind=ErrorKind.RATE_LIMIT), attempt=1, delay=5, now=NOW, not_before=floor
    )
    assert retry.to_json().get("not_before") == expected


@pytest.mark.parametrize(
    ("delay", "delay_ms"),
    [
        pytest.param(float("nan"), 0, id="nan_is_no_delay"),
        pytest.param(float("inf"), 0, id="infinite_is_no_delay"),
        pytest.param(-3.0, 0, id="negative_is_no_delay"),
        pytest.param(0.0004, 0, id="rounds_to_milliseconds"),
    ],
)
def test_unusable_delays_are_zero(delay: float, delay_ms: int) -> None:
    retry = ChatRetry.from_classified(ClassifiedError(), attempt=1, delay=delay, now=NOW)
    assert (retry.delay_ms, retry.retrying_at) == (delay_ms, NOW)


def test_fallback_and_shared_fields_appear_only_when_set() -> None:
    retry = ChatRetry.from_json(
        {
            "attempt": 2,
            "delay_ms": 1000,
            "retrying_at": "2026-05-01T12:00:01.000Z",
            "error": "x",
            "kind": "overloaded",
            "shared": True,
            "from_model": "big",
            "to_model": "small",
            "reason": "overloaded",
        }
    )
    assert (retry.shared, retry.from_model, retry.to_model, retry.reason) == (
        True,
        "big",
        "small",
        "overloaded",
    )
    assert {"shared", "from_model", "to_model", "reason"} <= retry.to_json().keys()
    plain = retry.with_fields(shared=False, from_model="", to_model="", reason="")
    assert not {"shared", "from_model", "to_model", "reason"} & plain.to_json().keys()


# -- tolerant reading ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            None, {"message": ChatError(message="").message, "kind": "generic"}, id="none"
        ),
        pytest.param(
            {"kind": "tool_budget_exceeded", "message": "m"},
            {"kind": "tool_budget_exceeded", "message": "m"},
            id="future_kind_is_kept_for_the_ui",
        ),
        pytest.param(
            {"kind": "<img src=x>", "message": "m"},
            {"kind": "generic", "message": "m"},
            id="markup_is_not_a_kind",
        ),
        pytest.param(
            {"kind": "overloaded", "provider": "anthropic"},
            {
                "kind": "overloaded",
                "provider": "anthropic",
                "message": "Anthropic is overloaded and could not answer. Send the message again later.",
            },
            id="missing_message_is_the_kinds_terminal_message",
        ),
        pytest.param(
            {"kind": "auth", "message": "m", "status_code": "503", "retryable": 1},
            {"kind": "auth", "message": "m"},
            id="wrong_types_are_dropped",
        ),
    ],
)
def test_chat_error_from_json(raw: Any, expected: dict[str, Any]) -> None:
    assert ChatError.from_json(raw).to_json() == expected


def test_chat_retry_from_json_reads_what_it_can() -> None:
    retry = ChatRetry.from_json({"attempt": "3", "retrying_at": "garbage", "kind": 7})
    assert retry.to_json() == {
        "attempt": 3,
        "delay_ms": 0,
        "error": "The AI provider returned an unexpected error.",
        "kind": "generic",
    }


class _Explosive(dict[str, Any]):
    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


def test_a_mapping_that_raises_reads_as_an_empty_value() -> None:
    assert ChatError.from_json(_Explosive()).kind == "generic"
    assert ChatRetry.from_json(_Explosive()).attempt == 0
    assert ChatError.from_stored(_Explosive(message="m", kind="auth")) == ChatError(message="")


# -- properties ----------------------------------------------------------------------------

_times = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), None]),
)
_kinds = st.one_of(
    st.sampled_from([kind.value for kind in ErrorKind]),
    st.from_regex(r"[a-z]{1,12}", fullmatch=True),
)
_texts = st.text(max_size=40)

chat_errors = st.builds(
    ChatError,
    message=_texts,
    kind=_kinds,
    provider=st.sampled_from(["", "openai", "anthropic", "azure openai", "Some Gateway"]),
    retryable=st.sampled_from([None, True, False]),
    status_code=st.integers(-5, 1200),
    detail=_texts,
)
chat_retries = st.builds(
    ChatRetry,
    attempt=st.integers(-3, 50),
    delay_ms=st.integers(-10, 10**9),
    retrying_at=st.one_of(st.none(), _times),
    error=_texts,
    kind=_kinds,
    provider=st.sampled_from(["", "openai", "openai compatible"]),
    status_code=st.integers(0, 999),
    not_before=st.one_of(st.none(), _times),
    shared=st.booleans(),
    from_model=_texts,
    to_model=_texts,
    reason=_texts,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["message", "kind", "provider", "retryable", "status_code", "detail", "attempt",
             "delay_ms", "retrying_at", "error", "not_before", "shared", "from_model", "x"]
        )
        | st.text(max_size=5),
        children,
        max_size=8,
    ),
    max_leaves=20,
)  # fmt: skip


@given(chat_errors)
def test_chat_error_round_trips(error: ChatError) -> None:
    assert ChatError.from_json(json.loads(json.dumps(error.to_json()))) == error


@given(chat_retries)
def test_chat_retry_round_trips(retry: ChatRetry) -> None:
    assert ChatRetry.from_json(json.loads(json.dumps(retry.to_json()))) == retry


@given(json_values)
def test_reading_any_json_never_raises_and_gives_a_valid_value(value: Any) -> None:
    error = ChatError.from_json(value)
    assert error.message and error.kind
    assert ChatError.from_json(error.to_json()) == error
    retry = ChatRetry.from_json(value)
    assert retry.error and retry.kind
    assert ChatRetry.from_json(retry.to_json()) == retry
    stored = ChatError.from_stored(value)
    assert stored is None or stored.kind in {kind.value for kind in ErrorKind}


# -- phases and times ------------------------------------------------------------------------


def test_phase_names_are_the_wire_values() -> None:
    assert [phase.value for phase in Phase] == [
        "idle",
        "starting",
        "streaming",
        "retrying",
        "failed",
    ]
    assert [phase for phase in Phase if phase.active] == [
        Phase.STARTING,
        Phase.STREAMING,
        Phase.RETRYING,
    ]


@pytest.mark.parametrize(
    ("raw", "phase"),
    [("streaming", Phase.STREAMING), ("waiting_retry", Phase.IDLE), (None, Phase.IDLE), (3, Phase.IDLE)],
)  # fmt: skip
def test_phase_parse_falls_back(raw: object, phase: Phase) -> None:
    assert Phase.parse(raw) is phase


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        pytest.param("2026-05-01T12:00:07.250Z", NOW + timedelta(seconds=7.25), id="z"),
        pytest.param("2026-05-01T14:00:07+02:00", NOW + timedelta(seconds=7), id="offset"),
        pytest.param("2026-05-01T12:00:07", NOW + timedelta(seconds=7), id="naive_is_utc"),
        pytest.param(NOW, NOW, id="datetime"),
        pytest.param("garbage", None, id="garbage"),
        pytest.param("", None, id="empty"),
        pytest.param(12, None, id="number"),
    ],
)
def test_parse_utc(value: object, parsed: datetime | None) -> None:
    assert parse_utc(value) == parsed


def test_format_utc_has_milliseconds_and_z() -> None:
    assert format_utc(NOW + timedelta(microseconds=123456)) == "2026-05-01T12:00:00.123Z"
    assert format_utc(datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-05-01T12:00:00.000Z"
    )
