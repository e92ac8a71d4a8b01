"""Scenario state per conversation, the request log, and Responses' stored ids."""

from __future__ import annotations

import anthropic
import openai
import pytest

from chatcore.fakeprovider import create_app, token_text
from tests.chatcore.fakeprovider.conftest import scenario
from tests.chatcore.fakeprovider.sdk import APIS, create, stream
from tests.chatcore.fakeprovider.sdk import openai_client as openai_client_for
from tests.fakeserver import FakeProviderServer

SCRIPT = scenario({"kind": "rate_limit", "retry_after": 1}, {"kind": "ok", "tokens": 3})


def status_error(api: str) -> type[Exception]:
    return anthropic.RateLimitError if api == "anthropic" else openai.RateLimitError


@pytest.mark.parametrize("api", APIS)
async def test_retrying_the_same_request_advances_and_the_last_outcome_repeats(
    api, fake, openai_client, anthropic_client
):
    with pytest.raises(status_error(api)):
        await stream(api, openai_client, anthropic_client, headers=SCRIPT)
    second = await stream(api, openai_client, anthropic_client, headers=SCRIPT)
    third = await stream(api, openai_client, anthropic_client, headers=SCRIPT)

    assert second.text == third.text == token_text(3)
    assert [entry["attempt"] for entry in fake.requests()] == [1, 2, 3]


@pytest.mark.parametrize("api", APIS)
async def test_another_conversation_starts_the_script_over(
    api, fake, openai_client, anthropic_client
):
    with pytest.raises(status_error(api)):
        await stream(api, openai_client, anthropic_client, headers=SCRIPT)
    other = [{"role": "user", "content": "a different question"}]

    with pytest.raises(status_error(api)):
        await stream(api, openai_client, anthropic_client, headers=SCRIPT, messages=other)


async def test_conversation_header_shares_state_across_different_bodies(
    fake, openai_client, anthropic_client
):
    headers = {**SCRIPT, "X-Fake-Conversation": "chat-42"}
    with pytest.raises(openai.RateLimitError):
        await create("chat", openai_client, anthropic_client, headers=headers)

    later = [{"role": "user", "content": "rephrased"}]
    result = await create("chat", openai_client, anthropic_client, headers=headers, messages=later)

    assert result.text == token_text(3)


async def test_model_named_scenario_advances_per_conversation(
    fake, openai_client, anthropic_client
):
    with pytest.raises(openai.RateLimitError) as first:
        await create("chat", openai_client, anthropic_client, model="demo-flaky")
    second = await create("chat", openai_client, anthropic_client, model="demo-flaky")

    assert first.value.response.headers["retry-after"] == "3"
    assert second.finish == "stop"
    with pytest.raises(openai.RateLimitError):
        await create(
            "chat",
            openai_client,
            anthropic_client,
            model="demo-flaky",
            messages=[{"role": "user", "content": "new"}],
        )


async def test_reset_route_forgets_positions_requests_and_response_ids(
    fake, openai_client, anthropic_client
):
    done = await stream("responses", openai_client, anthropic_client)
    with pytest.raises(openai.RateLimitError):
        await create("chat", openai_client, anthropic_client, headers=SCRIPT)

    fake.reset()

    assert fake.requests() == []
    with pytest.raises(openai.RateLimitError):
        await create("chat", openai_client, anthropic_client, headers=SCRIPT)
    with pytest.raises(openai.BadRequestError, match="not found"):
        await stream(
            "responses", openai_client, anthropic_client, previous_response_id=done.response_id
        )


async def test_idle_positions_expire_after_the_ttl():
    now = [1000.0]
    app = create_app(state_ttl=60, clock=lambda: now[0])
    async with (
        FakeProviderServer(app=app) as server,
        openai_client_for(server.openai_base_url) as client,
    ):
        with pytest.raises(openai.RateLimitError):
            await create("chat", client, None, headers=SCRIPT)  # type: ignore[arg-type]
        now[0] += 61
        with pytest.raises(openai.RateLimitError):
            await create("chat", client, None, headers=SCRIPT)  # type: ignore[arg-type]
        now[0] += 59
        result = await create("chat", client, None, headers=SCRIPT)  # type: ignore[arg-type]

    assert result.text == token_text(3)


async def test_request_log_records_what_was_sent_without_credentials(
    fake, openai_client, anthropic_client
):
    await create("anthropic", openai_client, anthropic_client, headers={"X-Trace": "t-1"})
    await create("chat", openai_client, anthropic_client)

    anthropic_entry, chat_entry = fake.requests()
    assert anthropic_entry["path"] == "/anthropic/v1/messages"
    assert anthropic_entry["model"] == "fake-model"
    assert anthropic_entry["body"]["messages"] == [{"role": "user", "content": "Hello there"}]
    assert anthropic_entry["headers"]["x-trace"] == "t-1"
    assert anthropic_entry["outcome"] == {"kind": "ok"}
    for entry in (anthropic_entry, chat_entry):
        assert "authorization" not in entry["headers"]
        assert "x-api-key" not in entry["headers"]
        assert all("test-0123" not in value for value in entry["headers"].values())


async def test_chain_mode_request_is_visible_in_the_log(fake, openai_client, anthropic_client):
    first = await stream("responses", openai_client, anthropic_client)
    follow_up = [{"role": "user", "content": "and then?"}]

    second = await stream(
        "responses",
        openai_client,
        anthropic_client,
        messages=follow_up,
        previous_response_id=first.response_id,
    )

    assert second.finish == "completed"
    sent = fake.requests()[-1]["body"]
    assert (sent["previous_response_id"], sent["input"]) == (first.response_id, follow_up)


@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param({"kind": "truncate", "after": 2}, id="truncated_is_not_stored"),
        pytest.param({"kind": "stream_error", "after": 2}, id="failed_is_not_stored"),
        pytest.param({"kind": "refusal", "after": 2}, id="incomplete_is_not_stored"),
    ],
)
async def test_only_completed_responses_can_anchor_a_chain(
    outcome, fake, openai_client, anthropic_client
):
    broken = await openai_client.responses.create(
        model="m", input="hi", stream=True, extra_headers=scenario(outcome)
    )
    events = [event async for event in broken]
    assert events[0].type == "response.created"
    response_id = events[0].response.id

    with pytest.raises(openai.BadRequestError) as caught:
        await stream("responses", openai_client, anthropic_client, previous_response_id=response_id)

    assert caught.value.body == {
        "message": f"Previous response with id '{response_id}' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }


async def test_store_false_responses_cannot_be_chained(fake, openai_client):
    response = await openai_client.responses.create(model="m", input="hi", store=False)

    with pytest.raises(openai.BadRequestError, match="not found"):
        await openai_client.responses.create(
            model="m", input="next", previous_response_id=response.id
        )


async def test_previous_response_not_found_preset_rejects_even_a_known_id(fake, openai_client):
    known = await openai_client.responses.create(model="m", input="hi")

    with pytest.raises(openai.BadRequestError) as caught:
        await openai_client.responses.create(
            model="m",
            input="next",
            previous_response_id=known.id,
            extra_headers=scenario({"kind": "previous_response_not_found"}),
        )

    assert caught.value.body["message"] == f"Previous response with id '{known.id}' not found."
