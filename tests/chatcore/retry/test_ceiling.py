"""The "accepts requests again" message for a Retry-After beyond the ceiling."""

from __future__ import annotations

import pytest

from chatcore.errors import ClassifiedError, ErrorKind
from chatcore.retry._ceiling import beyond_ceiling_classification, humanise_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0.2, "1 second", id="never_zero"),
        pytest.param(1, "1 second", id="singular"),
        pytest.param(59, "59 seconds", id="seconds_below_a_minute"),
        pytest.param(59.5, "1 minute", id="rounds_up_into_minutes"),
        pytest.param(61, "2 minutes", id="minutes_round_up_not_down"),
        pytest.param(600, "10 minutes", id="the_default_ceiling"),
        pytest.param(3_600, "1 hour", id="whole_hour_has_no_zero_minutes"),
        pytest.param(3_601, "1 hour 1 minute", id="a_second_past_the_hour_counts"),
        pytest.param(4_000, "1 hour 7 minutes", id="hours_and_minutes"),
        pytest.param(86_399, "1 day", id="rounds_up_into_a_day"),
        pytest.param(90_000, "1 day 1 hour", id="days_and_hours"),
        pytest.param(90_001, "1 day 2 hours", id="hours_round_up_past_a_day"),
        pytest.param(3 * 86_400, "3 days", id="whole_days"),
    ],
)
def test_humanise_duration(seconds: float, text: str) -> None:
    assert humanise_duration(seconds) == text


def test_unknown_provider_reads_the_ai_provider_at_sentence_start() -> None:
    classified = ClassifiedError(kind=ErrorKind.RATE_LIMIT, retryable=True, retry_after=900)
    result = beyond_ceiling_classification(classified, now=0)
    assert result.message == (
        "The AI provider accepts requests again in 15 minutes, at 1970-01-01 00:15:00 UTC; "
        "that is longer than automatic retries wait. Send the message again after that time."
    )


def test_a_date_beyond_year_9999_keeps_only_the_duration() -> None:
    classified = ClassifiedError(
        kind=ErrorKind.OVERLOADED, provider="anthropic", retryable=True, retry_after=1e12
    )
    result = beyond_ceiling_classification(classified, now=1_780_000_000)
    assert result.message.startswith("Anthropic accepts requests again in 11574074 days 2 hours;")
    assert "UTC" not in result.message
