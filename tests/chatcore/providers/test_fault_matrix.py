"""HTTP error responses x every adapter, classified end to end (the fault matrix, part 1).

Real SDKs over loopback HTTP: the fake answers with each provider's own status,
headers and body before any byte of a stream; the adapter converts what the SDK
raises; ``classify``, given no provider hint (the error itself must carry it),
must produce the whole expected ``ClassifiedError``.
"""

from __future__ import annotations

import pytest

from chatcore.errors import ErrorKind, classify
from tests.chatcore.providers.conftest import RESPONSES, Api, consume, turn
from tests.chatcore.providers.matrix import Fault, assert_classified, cases, expected_for

# HTTP error responses, before any byte of a stream: each preset in each provider's shape.
HTTP_FAULTS = (
    Fault(
        "rate_limit_retry_after_seconds",
        {"kind": "rate_limit", "retry_after": 3},
        ErrorKind.RATE_LIMIT,
        True,
        (3.0, 3.0),
    ),
    Fault(
        "rate_limit_retry_after_ms_wins_with_its_precision",
        {"kind": "rate_limit", "retry_after_ms": 1500},
        ErrorKind.RATE_LIMIT,
        True,
        (1.5, 1.5),
    ),
    # The HTTP-date is rounded up to a whole second by the fake, then read a moment later.
    Fault(
        "rate_limit_retry_after_http_date",
        {"kind": "rate_limit", "retry_after_date": 4},
        ErrorKind.RATE_LIMIT,
        True,
        (3.0, 5.0),
    ),
    Fault("overloaded_529", {"kind": "overloaded"}, ErrorKind.OVERLOADED, True),
    Fault(
        "provider_disabled_503_is_not_retried",
        {"kind": "provider_disabled"},
        ErrorKind.PROVIDER_DISABLED,
        False,
    ),
    Fault(
        "insufficient_quota_is_a_usage_limit",
        {"kind": "insufficient_quota"},
        ErrorKind.USAGE_LIMIT,
        False,
    ),
    Fault("auth_401", {"kind": "auth"}, ErrorKind.AUTH, False),
    Fault("model_not_found_404_is_config", {"kind": "model_not_found"}, ErrorKind.CONFIG, False),
    Fault("context_length_exceeded", {"kind": "context_length"}, ErrorKind.CONTEXT_LENGTH, False),
    Fault("content_filter_400", {"kind": "content_filter"}, ErrorKind.CONTENT_FILTER, False),
    Fault("server_error_500_retries_as_generic", {"kind": "server_error"}, ErrorKind.GENERIC, True),
    Fault("unavailable_503_retries_as_timeout", {"kind": "unavailable"}, ErrorKind.TIMEOUT, True),
    Fault(
        "unknown_previous_response_id_breaks_the_chain",
        {"kind": "previous_response_not_found"},
        ErrorKind.GENERIC,
        True,
        chain_broken=True,
        apis=(RESPONSES,),
    ),
    Fault(
        "any_status_with_any_headers_and_json_body",
        {
            "kind": "status",
            "status": 418,
            "headers": {"x-teapot": "yes"},
            "body": {"error": {"message": "I'm a teapot", "type": "teapot_error"}},
        },
        ErrorKind.GENERIC,
        False,
        status=418,
        detail="I'm a teapot",
    ),
    Fault(
        "custom_429_with_a_retry_after_header",
        {
            "kind": "status",
            "status": 429,
            "headers": {"Retry-After": "2"},
            "body": {"error": {"message": "Slow down", "type": "requests"}},
        },
        ErrorKind.RATE_LIMIT,
        True,
        (2.0, 2.0),
        status=429,
        detail="Slow down",
    ),
    Fault(
        "plain_text_503_from_a_gateway_is_quoted",
        {
            "kind": "status",
            "status": 503,
            "content_type": "text/plain",
            "raw": "upstream connect error or disconnect/reset before headers",
        },
        ErrorKind.TIMEOUT,
        True,
        status=503,
        detail="{label} returned HTTP 503 - upstream connect error or disconnect/reset before headers",
    ),
    Fault(
        "html_error_page_from_a_proxy_is_not_quoted",
        {"kind": "bad_gateway"},
        ErrorKind.TIMEOUT,
        True,
        status=502,
        detail="{label} returned HTTP 502",
    ),
)


@pytest.mark.parametrize(("fault", "api"), cases(HTTP_FAULTS))
async def test_http_error_responses(fault: Fault, api: Api, make_adapter) -> None:
    result = await consume(make_adapter(api), turn(fault.outcome))

    assert result.parts == []
    got = classify(result.error)
    assert_classified(got, fault, api, expected_for(fault, api, got))
