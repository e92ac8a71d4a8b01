"""Answers that are kept when stopped, regenerated with earlier versions, and questions
edited and sent again: the chats service on a real database, and the JSON API over it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chatcore.chats import Outgoing, lifecycle
from chatcore.chats.commands import (
    SendOutcome,
    edit_last,
    regenerate,
    request_retry_now,
    select_version,
    send,
)
from chatcore.chats.transcript import transcript
from chatcore.contract import ChatError
from chatcore.models import Chat, ChatMessage, ChatStatus, MessageRole, Provider
from chatcore.providers import Finish
from chatcore.runner.context import load_turn
from tests.chatcore.persistence.factories import make_chat, make_user

pytestmark = pytest.mark.django_db

RUNNER = "runner-1"


def _claim(chat: Chat) -> None:
    Chat.objects.filter(pk=chat.pk).update(lease_owner=RUNNER, status=ChatStatus.RUNNING)


def _answer(chat: Chat, text: str) -> int:
    _claim(chat)
    message_id = lifecycle.finish_ok(
        chat.pk,
        RUNNER,
        text=text,
        finish=Finish(response_id="", usage=None, finish_reason="stop"),
        seq=1,
        store_response_id=False,
    )
    assert message_id is not None
    return message_id


def _turn(chat: Chat, question: str, answer: str) -> int:
    assert send(chat, Outgoing(question)).outcome is SendOutcome.ACCEPTED
    return _answer(chat, answer)


def _shown(chat: Chat) -> list[tuple[str, str]]:
    return [(row["role"], row["text"]) for row in transcript(chat.pk)]


@pytest.fixture
def chat() -> Chat:
    return make_chat()


def test_stop_keeps_the_partial_answer_marked_stopped_and_it_is_history(chat: Chat) -> None:
    send(chat, Outgoing("Tell me a story"))
    _claim(chat)
    message_id = lifecycle.finish_stopped(chat.pk, RUNNER, seq=5, text="Once upon a")
    stored = ChatMessage.objects.get(pk=message_id)
    assert (stored.role, stored.text, stored.stopped) == ("assistant", "Once upon a", True)
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE
    send(chat, Outgoing("Go on"))
    history = load_turn(chat.pk).history
    assert [(m.role, m.content) for m in history] == [
        ("user", "Tell me a story"),
        ("assistant", "Once upon a"),
        ("user", "Go on"),
    ]


def test_stop_with_nothing_written_keeps_no_empty_answer(chat: Chat) -> None:
    send(chat, Outgoing("Hi"))
    _claim(chat)
    assert lifecycle.finish_stopped(chat.pk, RUNNER, seq=5, text="") is None
    assert not ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT).exists()


def test_a_stop_by_a_runner_that_lost_the_lease_keeps_nothing(chat: Chat) -> None:
    send(chat, Outgoing("Hi"))
    Chat.objects.filter(pk=chat.pk).update(lease_owner="runner-2", status=ChatStatus.RUNNING)
    assert lifecycle.finish_stopped(chat.pk, RUNNER, seq=5, text="partial") is None
    assert not ChatMessage.objects.filter(chat=chat, role=MessageRole.ASSISTANT).exists()


def test_regenerate_keeps_the_old_answer_as_an_earlier_version(chat: Chat) -> None:
    first = _turn(chat, "Q", "A1")
    assert regenerate(chat, client_request_id="r1").outcome is SendOutcome.ACCEPTED
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.PENDING
    assert _shown(chat) == [("user", "Q")], "the answer being replaced is not shown meanwhile"
    second = _answer(chat, "A2")
    rows = transcript(chat.pk)
    assert [(r["role"], r["text"]) for r in rows] == [("user", "Q"), ("assistant", "A2")]
    assert rows[-1]["versions"] == {"index": 2, "count": 2, "ids": [first, second]}
    assert [(m.role, m.content) for m in load_turn(chat.pk).history] == [
        ("user", "Q"),
        ("assistant", "A2"),
    ]
    assert select_version(chat, first)
    assert _shown(chat) == [("user", "Q"), ("assistant", "A1")]
    assert transcript(chat.pk)[-1]["versions"]["index"] == 1


def test_a_repeated_regenerate_is_the_same_request(chat: Chat) -> None:
    _turn(chat, "Q", "A1")
    assert regenerate(chat, client_request_id="r1").outcome is SendOutcome.ACCEPTED
    _answer(chat, "A2")
    assert regenerate(chat, client_request_id="r1").outcome is SendOutcome.DUPLICATE
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [
        pytest.param("no_answer_yet", SendOutcome.NOT_LAST, id="nothing_to_regenerate"),
        pytest.param("turn_running", SendOutcome.BUSY, id="one_turn_at_a_time"),
    ],
)
def test_regenerate_refusals(chat: Chat, setup: str, outcome: SendOutcome) -> None:
    send(chat, Outgoing("Q"))
    if setup == "no_answer_yet":
        Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.IDLE)
    assert regenerate(chat).outcome is outcome


def test_a_failed_regenerate_shows_the_previous_answer_again(chat: Chat) -> None:
    _turn(chat, "Q", "A1")
    regenerate(chat)
    _claim(chat)

    lifecycle.finish_failed(chat.pk, RUNNER, error=ChatError(message="down"), seq=3)
    assert _shown(chat) == [("user", "Q"), ("assistant", "A1")]


def test_edit_sends_a_new_version_of_the_last_question(chat: Chat) -> None:
    _turn(chat, "Q1", "A1")
    question = ChatMessage.objects.filter(chat=chat, role=MessageRole.USER).get()
    result = edit_last(chat, question.pk, Outgoing("Q1, better", "e1"))
    assert result.outcome is SendOutcome.ACCEPTED
    assert _shown(chat) == [("user", "Q1, better")]
    _answer(chat, "A1b")
    rows = transcript(chat.pk)
    assert [(r["role"], r["text"]) for r in rows] == [("user", "Q1, better"), ("assistant", "A1b")]
    assert rows[0]["versions"]["index"] == 2 and rows[0]["versions"]["count"] == 2
    # Paging the question back shows its own answer with it.
    assert select_version(chat, question.pk)
    assert _shown(chat) == [("user", "Q1"), ("assistant", "A1")]
    repeat = edit_last(chat, question.pk, Outgoing("Q1, better", "e1"))
    assert repeat.outcome is SendOutcome.DUPLICATE
    assert edit_last(chat, question.pk, Outgoing("again", "e1")).outcome is SendOutcome.CONFLICT


def test_only_the_last_question_can_be_edited(chat: Chat) -> None:
    _turn(chat, "Q1", "A1")
    _turn(chat, "Q2", "A2")
    first = ChatMessage.objects.filter(chat=chat, role=MessageRole.USER).first()
    assert first is not None
    assert edit_last(chat, first.pk, Outgoing("no")).outcome is SendOutcome.NOT_LAST
    assert not select_version(chat, first.pk)


def test_try_again_after_a_failed_turn_requeues_the_shown_question(chat: Chat) -> None:
    send(chat, Outgoing("Q"))
    _claim(chat)

    lifecycle.finish_failed(chat.pk, RUNNER, error=ChatError(message="x", retryable=True), seq=2)
    assert request_retry_now(chat).action == "requeued"


# -- the JSON API --------------------------------------------------------------------------


@pytest.fixture
def alice(client: Client) -> User:
    user = make_user(username="alice-versions")
    client.force_login(user)
    return user


def _post(client: Client, url: str, body: object, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_api_messages_carry_html_stopped_and_versions(client: Client, alice: User) -> None:
    chat = make_chat(owner=alice, provider=Provider.objects.create(name="p", kind="fake"))
    _turn(chat, "What is **bold**?", "It is `code`:\n\n```python\nx = 1\n```")
    regenerate(chat)
    _claim(chat)
    lifecycle.finish_stopped(chat.pk, RUNNER, seq=4, text="Partial **answer**")
    body = client.get(f"/api/chats/{chat.pk}/").json()
    question, answer = body["messages"]
    assert question["html"] == "<p>What is **bold**?</p>", "questions are plain text"
    assert answer["text"] == "Partial **answer**" and answer["stopped"] is True
    assert answer["html"].startswith("<p>Partial <strong>answer</strong>")
    assert answer["versions"]["index"] == 2 and answer["versions"]["count"] == 2


def test_api_regenerate_and_edit(client: Client, alice: User) -> None:
    chat = make_chat(owner=alice, provider=Provider.objects.create(name="p", kind="fake"))
    _turn(chat, "Q", "A")
    url = f"/api/chats/{chat.pk}/regenerate/"
    assert _post(client, url, {}, **{"Idempotency-Key": "k1"}).status_code == 202
    repeated = _post(client, url, {}, **{"Idempotency-Key": "k1"})
    assert (repeated.status_code, repeated.json()["duplicate"]) == (202, True)
    assert _post(client, url, {}).status_code == 409, "one turn at a time"
    _answer(chat, "A2")
    question = ChatMessage.objects.get(chat=chat, role=MessageRole.USER)
    edit = f"/api/chats/{chat.pk}/messages/{question.pk}/edit/"
    accepted = _post(client, edit, {"content": "Q, edited"})
    assert accepted.status_code == 202
    assert accepted.json()["message"]["text"] == "Q, edited"
    _answer(chat, "A3")
    assert _post(client, edit, {"content": "stale"}).status_code == 409, "not the last question"
    assert _post(client, edit, {"content": ""}).status_code == 400


def test_api_regenerate_and_edit_are_owner_only(client: Client, alice: User) -> None:
    other = make_chat(provider=Provider.objects.create(name="p", kind="fake"))
    _turn(other, "Q", "A")
    question = ChatMessage.objects.get(chat=other, role=MessageRole.USER)
    assert _post(client, f"/api/chats/{other.pk}/regenerate/", {}).status_code == 404
    edit = f"/api/chats/{other.pk}/messages/{question.pk}/edit/"
    assert _post(client, edit, {"content": "x"}).status_code == 404
    client.logout()
    assert _post(client, edit, {"content": "x"}).status_code == 401
    assert Chat.objects.get(pk=other.pk).status == ChatStatus.IDLE
