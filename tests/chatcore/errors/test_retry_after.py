"""Retry-After: seconds, fractions, milliseconds (wins), HTTP-dates, garbage, body hints."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from chatcore.errors import ProviderError, classify


def retry_after(headers: dict[str, str], body: str | None = None) -> float:
    return classify(ProviderError("x", status_code=429, headers=headers, body=body)).retry_after


HEADER_ROWS = [
    ("seconds", {"Retry-After": "12"}, 12.0),
    ("fractional_seconds", {"retry-after": "1.5"}, 1.5),
    ("milliseconds", {"retry-after-ms": "2500"}, 2.5),
    ("fractional_milliseconds", {"retry-after-ms": "120.5"}, 0.1205),
    ("milliseconds_win_over_seconds", {"Retry-After": "30", "Retry-After-Ms": "1500"}, 1.5),
    (
        "invalid_milliseconds_fall_back_to_seconds",
        {"retry-after-ms": "soon", "retry-after": "4"},
        4.0,
    ),
    ("mixed_case_names", {"RETRY-AFTER": "5"}, 5.0),
    ("mixed_case_ms_name", {"Retry-After-MS": "750"}, 0.75),
    ("garbage", {"retry-after": "in a while"}, 0.0),
    ("negative", {"retry-after": "-3"}, 0.0),
    ("zero", {"retry-after": "0"}, 0.0),
    ("negative_milliseconds", {"retry-after-ms": "-100"}, 0.0),
    ("nan", {"retry-after": "nan"}, 0.0),
    ("infinity", {"retry-after": "inf"}, 0.0),
    ("date_in_the_past", {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    ("empty", {"retry-after": ""}, 0.0),
]


@pytest.mark.parametrize(
    ("headers", "expected"), [r[1:] for r in HEADER_ROWS], ids=[r[0] for r in HEADER_ROWS]
)
def test_retry_after_headers(headers: dict[str, str], expected: float) -> None:
    assert retry_after(headers) == pytest.approx(expected)


@pytest.mark.parametrize("offset", [3, 30])
def test_retry_after_http_date(offset: int) -> None:
    # HTTP-dates have whole-second precision: round the target up to the next whole
    # second so the parsed deadline is never earlier than now + offset, then allow
    # a symmetric one-second window (the seed's deflake of this very test).
    target = math.ceil(time.time() + offset)
    header = format_datetime(datetime.fromtimestamp(target, UTC), usegmt=True)
    got = retry_after({"Retry-After": header})
    assert offset - 1 <= got <= offset + 1


BODY_ROWS = [
    ("openai_try_again_in_seconds", "Please try again in 2s.", 2.0),
    ("openai_try_again_in_milliseconds", "Please try again in 120ms.", 0.12),
    ("openai_go_duration", "Please try again in 6m0s.", 360.0),
    ("openai_fractional", "Please try again in 1.5s.", 1.5),
    ("azure_retry_after_seconds", "Please retry after 6 seconds.", 6.0),
    ("gemini_retry_in", "Please retry in 23.935007488s.", 23.935007488),
    ("plain_minutes", "try again in 2 minutes", 120.0),
    ("no_number", "please try again later", 0.0),
]


@pytest.mark.parametrize(
    ("message", "expected"), [r[1:] for r in BODY_ROWS], ids=[r[0] for r in BODY_ROWS]
)
def test_retry_delay_stated_in_the_body(message: str, expected: float) -> None:
    body = f'{{"error": {{"message": "{message}"}}}}'
    assert retry_after({}, body) == pytest.approx(expected)


def test_gemini_retry_info_detail() -> None:
    body = (
        '{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED", "details": '
        '[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"}]}}'
    )
    assert retry_after({}, body) == 47.0


def test_header_beats_body_hint() -> None:
    assert (
        retry_after({"retry-after": "9"}, '{"error": {"message": "Please try again in 2s."}}')
        == 9.0
    )


def test_plain_text_hint() -> None:
    assert classify("429 rate limited, please retry after 20 seconds").retry_after == 20.0
