"""OpenAI Responses chain mode: continue a stored response by id, and notice when it is gone."""

from __future__ import annotations

import pytest

from chatcore.errors import ClassifiedError, ErrorKind, classify
from chatcore.fakeprovider import token_text
from chatcore.providers import Finish
from tests.chatcore.providers.conftest import APIS, RESPONSES, Api, consume, turn
from tests.fakeserver import FakeProviderServer


@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_only_responses_supports_chaining(api: Api, make_adapter) -> None:
    assert make_adapter(api).supports_chaining is (api is RESPONSES)


async def test_the_second_turn_sends_only_the_new_input_and_the_previous_id(
    fake: FakeProviderServer, make_adapter
) -> None:
    adapter = make_adapter(RESPONSES)
    first = await consume(adapter, turn({"kind": "ok", "tokens": 5}, text="first question"))
    (finish,) = first.finishes

    second = await consume(
        adapter,
        turn(
            {"kind": "ok", "tokens": 7}, text="follow-up", previous_response_id=finish.response_id
        ),
    )

    assert second.error is None
    assert second.text == token_text(7)
    sent = fake.requests()[-1]["body"]
    assert sent["previous_response_id"] == finish.response_id
    assert sent["input"] == [{"role": "user", "content": "follow-up"}]


async def test_a_chain_can_continue_from_a_continued_response(make_adapter) -> None:
    adapter = make_adapter(RESPONSES)
    previous: str | None = None
    for question in ("one", "two", "three"):
        result = await consume(
            adapter,
            turn({"kind": "ok", "echo": True}, text=question, previous_response_id=previous),
        )
        assert result.text == question
        (finish,) = result.finishes
        previous = finish.response_id


async def test_an_unknown_previous_response_id_classifies_as_chain_broken(make_adapter) -> None:
    result = await consume(
        make_adapter(RESPONSES), turn(previous_response_id="resp_never_completed_here")
    )

    assert result.parts == []
    got = classify(result.error)
    assert got == ClassifiedError(
        kind=ErrorKind.GENERIC,
        message=got.message,
        detail="Previous response with id 'resp_never_completed_here' not found.",
        provider="openai",
        retryable=True,
        status_code=400,
        chain_broken=True,
    )


async def test_a_truncated_turn_leaves_no_id_to_chain_on(make_adapter) -> None:
    # Only a Finish carries a response id; a truncated Responses stream never yields one.
    result = await consume(make_adapter(RESPONSES), turn({"kind": "truncate", "after": 3}))

    assert [p for p in result.parts if isinstance(p, Finish)] == []
    assert classify(result.error).kind == ErrorKind.TIMEOUT
