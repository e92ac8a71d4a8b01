"""HTTP error outcomes through the real SDKs: status, body shape, provider wording, headers."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import anthropic
import httpx
import openai
import pytest

from tests.chatcore.fakeprovider.conftest import scenario
from tests.chatcore.fakeprovider.sdk import APIS, create, stream

# preset -> {api: (status, error type, error code or None, words in the message)}
PRESETS = {
    "rate_limit": {
        "chat": (429, "requests", "rate_limit_exceeded", "Rate limit reached"),
        "responses": (429, "requests", "rate_limit_exceeded", "Rate limit reached"),
        "anthropic": (429, "rate_limit_error", None, "exceed the rate limit"),
    },
    "overloaded": {
        "chat": (529, "server_error", None, "overloaded"),
        "responses": (529, "server_error", None, "overloaded"),
        "anthropic": (529, "overloaded_error", None, "Overloaded"),
    },
    "provider_disabled": {
        "chat": (503, "provider_disabled", "provider_disabled", "disabled"),
        "responses": (503, "provider_disabled", "provider_disabled", "disabled"),
        "anthropic": (503, "provider_disabled", None, "disabled"),
    },
    "insufficient_quota": {
        "chat": (429, "insufficient_quota", "insufficient_quota", "exceeded your current quota"),
        "responses": (429, "insufficient_quota", "insufficient_quota", "current quota"),
        "anthropic": (400, "invalid_request_error", None, "credit balance is too low"),
    },
    "auth": {
        "chat": (401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
        "responses": (401, "invalid_request_error", "invalid_api_key", "Incorrect API key"),
        "anthropic": (401, "authentication_error", None, "invalid x-api-key"),
    },
    "model_not_found": {
        "chat": (
            404,
            "invalid_request_error",
            "model_not_found",
            "The model `fake-model` does not exist",
        ),
        "responses": (404, "invalid_request_error", "model_not_found", "does not exist"),
        "anthropic": (404, "not_found_error", None, "model: fake-model"),
    },
    "context_length": {
        "chat": (400, "invalid_request_error", "context_length_exceeded", "maximum context length"),
        "responses": (400, "invalid_request_error", "context_length_exceeded", "context window"),
        "anthropic": (400, "invalid_request_error", None, "prompt is too long"),
    },
    "content_filter": {
        "chat": (400, "invalid_request_error", "content_filter", "content management policy"),
        "responses": (400, "invalid_request_error", "content_filter", "content management policy"),
        "anthropic": (400, "invalid_request_error", None, "content filtering policy"),
    },
    "server_error": {
        "chat": (500, "server_error", None, "The server had an error"),
        "responses": (500, "server_error", None, "The server had an error"),
        "anthropic": (500, "api_error", None, "Internal server error"),
    },
    "unavailable": {
        "chat": (503, "server_error", None, "Service Unavailable"),
        "responses": (503, "server_error", None, "Service Unavailable"),
        "anthropic": (503, "api_error", None, "Service Unavailable"),
    },
}
CASES = [
    pytest.param(preset, api, *expected, id=f"{preset}-{api}")
    for preset, per_api in PRESETS.items()
    for api, expected in per_api.items()
]


def status_error(api: str) -> type[Exception]:
    return anthropic.APIStatusError if api == "anthropic" else openai.APIStatusError


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "document"])
@pytest.mark.parametrize("preset, api, status, error_type, code, words", CASES)
async def test_preset_answers_in_the_providers_own_shape(
    preset, api, status, error_type, code, words, streaming, fake, openai_client, anthropic_client
):
    call = stream if streaming else create
    with pytest.raises(status_error(api)) as caught:
        await call(api, openai_client, anthropic_client, headers=scenario({"kind": preset}))

    error = caught.value
    assert error.status_code == status
    if api == "anthropic":
        assert error.body["type"] == "error"
        assert error.body["error"]["type"] == error_type
        assert words in error.body["error"]["message"]
        assert error.body["request_id"] == error.response.headers["request-id"]
    else:
        assert set(error.body) == {"message", "type", "param", "code"}
        assert (error.body["type"], error.body["code"]) == (error_type, code)
        assert words in error.body["message"]
        assert error.response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "options, header, expected",
    [
        pytest.param({"retry_after": 3}, "retry-after", "3", id="seconds"),
        pytest.param({"retry_after": 1.5}, "retry-after", "1.5", id="fractional_seconds"),
        pytest.param({"retry_after_ms": 1500}, "retry-after-ms", "1500", id="milliseconds"),
    ],
)
async def test_rate_limit_carries_the_requested_retry_header(
    api, options, header, expected, fake, openai_client, anthropic_client
):
    with pytest.raises(status_error(api)) as caught:
        await stream(
            api,
            openai_client,
            anthropic_client,
            headers=scenario({"kind": "rate_limit", **options}),
        )

    assert caught.value.response.headers[header] == expected


@pytest.mark.parametrize("api", APIS)
async def test_retry_after_as_http_date_is_never_earlier_than_asked(
    api, fake, openai_client, anthropic_client
):
    before = time.time()
    with pytest.raises(status_error(api)) as caught:
        await create(
            api,
            openai_client,
            anthropic_client,
            headers=scenario({"kind": "rate_limit", "retry_after_date": 4}),
        )

    when = parsedate_to_datetime(caught.value.response.headers["retry-after"]).timestamp()
    assert before + 4 <= when + 1  # HTTP-dates have whole seconds
    assert when <= time.time() + 5


@pytest.mark.parametrize("api", APIS)
async def test_preset_overrides_message_status_and_headers(
    api, fake, openai_client, anthropic_client
):
    outcome = {
        "kind": "overloaded",
        "status": 503,
        "message": "Custom words",
        "headers": {"x-extra": "yes"},
    }
    with pytest.raises(status_error(api)) as caught:
        await create(api, openai_client, anthropic_client, headers=scenario(outcome))

    assert caught.value.status_code == 503
    assert "Custom words" in caught.value.message
    assert caught.value.response.headers["x-extra"] == "yes"


@pytest.mark.parametrize("api", APIS)
async def test_bad_gateway_is_an_html_page_like_a_proxy_sends(
    api, fake, openai_client, anthropic_client
):
    with pytest.raises(status_error(api)) as caught:
        await create(
            api, openai_client, anthropic_client, headers=scenario({"kind": "bad_gateway"})
        )

    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"] == "text/html"
    assert "<h1>502 Bad Gateway</h1>" in caught.value.response.text


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "outcome, content_type, body_text",
    [
        pytest.param(
            {"kind": "status", "status": 418, "body": {"teapot": True}},
            "application/json",
            '{"teapot": true}',
            id="json_body",
        ),
        pytest.param(
            {
                "kind": "status",
                "status": 503,
                "raw": "<html>down</html>",
                "content_type": "text/html",
            },
            "text/html",
            "<html>down</html>",
            id="raw_body",
        ),
    ],
)
async def test_status_outcome_sends_any_status_headers_and_body(
    api, outcome, content_type, body_text, fake, openai_client, anthropic_client
):
    outcome = {**outcome, "headers": {"retry-after": "7", "x-custom": "1"}}
    with pytest.raises(status_error(api)) as caught:
        await create(api, openai_client, anthropic_client, headers=scenario(outcome))

    response = caught.value.response
    assert response.status_code == outcome["status"]
    assert response.headers["content-type"] == content_type
    assert (response.headers["retry-after"], response.headers["x-custom"]) == ("7", "1")
    assert response.text == body_text


async def test_auth_error_masks_the_key_it_was_sent(fake, openai_client):
    with pytest.raises(openai.AuthenticationError) as caught:
        await openai_client.chat.completions.create(
            model="demo-auth", messages=[{"role": "user", "content": "hi"}]
        )

    assert "sk-************cdef" in caught.value.message
    assert "0123456789" not in caught.value.message


@pytest.mark.parametrize(
    "body, expected",
    [
        pytest.param(b"{not json", "could not parse the JSON body", id="openai_rejects_bad_json"),
        pytest.param(
            b'{"messages": []}', "Missing required parameter: 'model'.", id="openai_needs_model"
        ),
    ],
)
async def test_invalid_openai_bodies_get_openais_400(body, expected, fake):
    async with httpx.AsyncClient(trust_env=False) as client:
        reply = await client.post(f"{fake.openai_base_url}/chat/completions", content=body)

    assert reply.status_code == 400
    assert expected in reply.json()["error"]["message"]


async def test_anthropic_requires_max_tokens_like_the_real_api(fake):
    async with httpx.AsyncClient(trust_env=False) as client:
        reply = await client.post(
            f"{fake.anthropic_base_url}/v1/messages",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        )

    assert reply.status_code == 400
    assert reply.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }


async def test_invalid_scenario_header_is_a_400_that_says_why(fake, openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        await openai_client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-Fake-Scenario": '[{"kind": "no-such-kind"}]'},
        )

    assert caught.value.body["type"] == "fake_scenario_error"
    assert "unknown outcome kind 'no-such-kind'" in caught.value.body["message"]
