"""Pure parts: deterministic text, outcome parsing, conversation keys."""

from __future__ import annotations

import pytest

from chatcore.fakeprovider import (
    SCENARIOS,
    ScenarioError,
    parse_scenario,
    split_tokens,
    token_text,
    tokens_for,
)
from chatcore.fakeprovider.inputs import conversation_key, last_user_text
from chatcore.fakeprovider.outcomes import parse_outcome


@pytest.mark.parametrize("n", [0, 1, 2, 24, 70, 71, 500, 20_000])
def test_token_text_is_the_join_of_n_tokens(n):
    tokens = tokens_for(n)

    assert len(tokens) == n
    assert "".join(tokens) == token_text(n)
    assert all(token.strip() and token == token.rstrip() for token in tokens)
    assert token_text(n) == token_text(n + 3)[: len(token_text(n))]


def test_only_the_first_token_has_no_leading_space():
    tokens = tokens_for(200)

    assert not tokens[0].startswith(" ")
    assert all(token.startswith(" ") for token in tokens[1:])


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("", [], id="empty"),
        pytest.param("one", ["one"], id="single_word"),
        pytest.param("a b  c", ["a", " b", "  c"], id="spaces_lead_each_word"),
        pytest.param("  lead", ["  lead"], id="leading_space_kept"),
        pytest.param("end \n", ["end \n"], id="trailing_whitespace_rides_on_last"),
        pytest.param("   ", ["   "], id="only_whitespace"),
        pytest.param("line\nnext", ["line", "\nnext"], id="newlines_kept"),
    ],
)
def test_split_tokens_round_trips(text, expected):
    assert split_tokens(text) == expected
    assert "".join(split_tokens(text)) == text


@pytest.mark.parametrize(
    "spec, message",
    [
        pytest.param([], "must be a JSON object", id="not_an_object"),
        pytest.param({"kind": "explode"}, "unknown outcome kind", id="unknown_kind"),
        pytest.param({"tokens": 3}, "unknown outcome kind", id="kind_is_required"),
        pytest.param(
            {"kind": "ok", "colour": "red"}, "unknown outcome key 'colour'", id="unknown_key"
        ),
        pytest.param({"kind": "ok", "rate": -1}, "must not be negative", id="negative_rate"),
        pytest.param({"kind": "ok", "tokens": True}, "wrong type", id="bool_is_not_a_number"),
        pytest.param({"kind": "ok", "tokens": "3"}, "wrong type", id="string_is_not_a_number"),
        pytest.param({"kind": "ok", "tokens": 2.5}, "wrong type", id="tokens_are_whole"),
        pytest.param({"kind": "status"}, "needs a 'status'", id="status_needs_status"),
        pytest.param(
            {"kind": "stream_error", "error": "oops"}, "unknown error preset", id="bad_preset"
        ),
        pytest.param(
            {"kind": "stream_error", "event": "boom"}, "'failed' or 'error'", id="bad_event"
        ),
        pytest.param(
            {"kind": "ok", "headers": {"x": 1}}, "header values must be strings", id="header_value"
        ),
    ],
)
def test_invalid_outcomes_say_what_is_wrong(spec, message):
    with pytest.raises(ScenarioError, match=message):
        parse_outcome(spec)


def test_outcome_keeps_its_json_and_typed_fields():
    outcome = parse_outcome({"kind": "rate_limit", "retry_after": 2.5, "headers": {"x-a": "1"}})

    assert (outcome.kind, outcome.retry_after, outcome.headers) == (
        "rate_limit",
        2.5,
        (("x-a", "1"),),
    )
    assert outcome.spec == {"kind": "rate_limit", "retry_after": 2.5, "headers": {"x-a": "1"}}


@pytest.mark.parametrize(
    "header, kinds",
    [
        pytest.param(
            '[{"kind": "overloaded"}, {"kind": "ok"}]', ["overloaded", "ok"], id="json_list"
        ),
        pytest.param('{"kind": "auth"}', ["auth"], id="single_object"),
        pytest.param('"demo-flaky"', ["rate_limit", "ok"], id="json_string_name"),
        pytest.param("demo-down", ["reset"], id="bare_name"),
    ],
)
def test_scenario_header_forms(header, kinds):
    assert [outcome.kind for outcome in parse_scenario(header, named=SCENARIOS)] == kinds


@pytest.mark.parametrize(
    "header, message",
    [
        pytest.param("[", "not JSON", id="not_json"),
        pytest.param("[]", "at least one outcome", id="empty_list"),
        pytest.param('"demo-nope"', "unknown scenario name", id="unknown_name"),
    ],
)
def test_bad_scenario_headers(header, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(header, named=SCENARIOS)


def test_conversation_key_is_stable_for_retries_and_differs_otherwise():
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    key = conversation_key("chat", body, {})

    assert conversation_key("chat", {**body, "stream": False, "temperature": 1}, {}) == key
    assert conversation_key("chat", {**body, "model": "n"}, {}) != key
    assert conversation_key("anthropic", body, {}) != key
    assert conversation_key("chat", body, {"x-fake-scenario": '"demo-flaky"'}) != key
    assert conversation_key("chat", body, {"x-fake-conversation": "c1"}) == "c1"
    chained = {"model": "m", "input": "next", "previous_response_id": "resp_1"}
    assert conversation_key("responses", chained, {}) != conversation_key(
        "responses", {**chained, "previous_response_id": "resp_2"}, {}
    )


@pytest.mark.parametrize(
    "api, body, expected",
    [
        pytest.param("responses", {"input": "plain"}, "plain", id="responses_string_input"),
        pytest.param(
            "responses",
            {"input": [{"role": "user", "content": [{"type": "input_text", "text": "parts"}]}]},
            "parts",
            id="responses_input_parts",
        ),
        pytest.param(
            "anthropic",
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "block"}]}]},
            "block",
            id="anthropic_blocks",
        ),
        pytest.param(
            "chat",
            {
                "messages": [
                    {"role": "user", "content": "old"},
                    {"role": "assistant", "content": "x"},
                ]
            },
            "old",
            id="last_user_not_last_message",
        ),
        pytest.param("chat", {"messages": []}, "", id="no_user_message"),
    ],
)
def test_last_user_text(api, body, expected):
    assert last_user_text(api, body) == expected
