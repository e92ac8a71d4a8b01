"""The JSON API: owner-only, clear 4xx answers, idempotent sends, our own usage limit."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chatcore.models import Chat, ChatMessage, ChatStatus, Provider
from tests.chatcore.runner.conftest import make_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider() -> Provider:
    return Provider.objects.create(
        name="demo",
        kind="fake",
        base_url="http://127.0.0.1:9/fake/openai/v1",
        models=["echo", "demo-flaky"],
        default_model="echo",
    )


@pytest.fixture
def alice(client: Client) -> User:
    user = User.objects.create_user("alice", password="pw")
    client.force_login(user)
    return user


def _post(client: Client, url: str, body: object, **headers: str):  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", headers=headers)


def test_create_list_and_read_a_chat(client: Client, alice: User, provider: Provider) -> None:
    created = _post(
        client, "/api/chats/", {"provider": "demo", "model": "demo-flaky", "title": "Hi"}
    )
    assert created.status_code == 201
    chat_id = created.json()["id"]
    assert created.json()["model"] == "demo-flaky"
    by_id = _post(client, "/api/chats/", {"provider": provider.pk})
    assert by_id.status_code == 201 and by_id.json()["model"] == "echo"
    assert {c["id"] for c in client.get("/api/chats/").json()["chats"]} == {
        chat_id,
        by_id.json()["id"],
    }
    detail = client.get(f"/api/chats/{chat_id}/").json()
    assert detail["status"] == "idle" and detail["last_error"] is None and detail["messages"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b"{not json", 400, id="malformed_json"),
        pytest.param([1, 2], 400, id="not_an_object"),
        pytest.param({"model": "echo"}, 400, id="missing_provider"),
        pytest.param({"provider": "nope"}, 400, id="unknown_provider"),
        pytest.param({"provider": "demo", "model": "gpt-unknown"}, 400, id="unknown_model"),
        pytest.param({"provider": "demo", "model": 5}, 400, id="model_wrong_type"),
        pytest.param({"provider": True}, 400, id="provider_bool"),
    ],
)
def test_bad_create_requests_get_clear_400s(
    client: Client, alice: User, provider: Provider, body: object, status: int
) -> None:
    response = _post(client, "/api/chats/", body)
    assert response.status_code == status
    assert response.json()["error"]
    assert Chat.objects.count() == 0


def test_sends_are_idempotent_by_request_id(
    client: Client, alice: User, provider: Provider
) -> None:
    chat = make_chat(provider, "echo", username="alice")
    url = f"/api/chats/{chat.pk}/messages/"
    first = _post(client, url, {"content": "Hello"}, **{"Idempotency-Key": "req-1"})
    assert first.status_code == 202 and first.json()["duplicate"] is False
    again = _post(client, url, {"content": "Hello"}, **{"Idempotency-Key": "req-1"})
    assert again.status_code == 202 and again.json()["duplicate"] is True
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert ChatMessage.objects.filter(chat=chat).count() == 1
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.PENDING
    busy = _post(client, url, {"content": "Another", "client_request_id": "req-2"})
    assert busy.status_code == 409 and "in progress" in busy.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing_content"),
        pytest.param({"content": "   "}, id="blank_content"),
        pytest.param({"content": ["x"]}, id="content_wrong_type"),
        pytest.param({"content": "x" * 32_001}, id="content_too_long"),
        pytest.param({"content": "x", "client_request_id": 7}, id="request_id_wrong_type"),
    ],
)
def test_bad_sends_get_400_and_queue_nothing(
    client: Client, alice: User, provider: Provider, body: dict
) -> None:
    chat = make_chat(provider, "echo", username="alice")
    response = _post(client, f"/api/chats/{chat.pk}/messages/", body)
    assert response.status_code == 400 and response.json()["error"]
    assert ChatMessage.objects.count() == 0
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE


def test_huge_body_is_refused(client: Client, alice: User, provider: Provider) -> None:
    chat = make_chat(provider, "echo", username="alice")
    response = _post(client, f"/api/chats/{chat.pk}/messages/", b"{" + b" " * (300 * 1024) + b"}")
    assert response.status_code == 413
    assert ChatMessage.objects.count() == 0


def test_own_usage_limit_is_409_with_a_chat_error_and_queues_nothing(
    client: Client, alice: User, provider: Provider, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.CHAT_TURNS_PER_DAY = 1
    chat = make_chat(provider, "echo", username="alice")
    url = f"/api/chats/{chat.pk}/messages/"
    assert _post(client, url, {"content": "one"}).status_code == 202
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.IDLE)
    refused = _post(client, url, {"content": "two"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["kind"] == "usage_limit" and body["retryable"] is False
    assert "provider" not in body, "our own limit names no provider (the UI then links to usage)"
    assert "daily limit" in body["message"]
    assert ChatMessage.objects.filter(chat=chat).count() == 1
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.IDLE


def test_other_users_chats_are_404_and_anonymous_is_401(client: Client, provider: Provider) -> None:
    chat = make_chat(provider, "echo", username="bob")
    assert client.get("/api/chats/").status_code == 401
    assert client.get(f"/api/chats/{chat.pk}/").status_code == 401
    client.force_login(User.objects.create_user("mallory"))
    for url in (f"/api/chats/{chat.pk}/",):
        assert client.get(url).status_code == 404
    for action in ("messages", "stop", "retry"):
        response = _post(client, f"/api/chats/{chat.pk}/{action}/", {"content": "x"})
        assert response.status_code == 404, action
    assert ChatMessage.objects.count() == 0


def test_api_posts_need_the_csrf_token(provider: Provider) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("carol"))
    response = client.post(
        "/api/chats/", json.dumps({"provider": "demo"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert Chat.objects.count() == 0


def test_retry_now_answers_409_before_the_provider_floor(
    client: Client, alice: User, provider: Provider
) -> None:
    chat = make_chat(provider, "demo-flaky", username="alice")
    Chat.objects.filter(pk=chat.pk).update(
        status=ChatStatus.WAITING_RETRY,
        live_state={"phase": "retrying", "retry": {"not_before": "2999-01-01T00:00:00.000Z"}},
    )
    response = _post(client, f"/api/chats/{chat.pk}/retry/", {})
    assert response.status_code == 409
    assert response.json()["seconds_left"] > 0


def test_metrics_need_staff_or_the_bearer_token(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and b"chatd_stream_retries_total" in ok.content
    client.force_login(User.objects.create_user("ops", is_staff=True))
    assert client.get("/metrics").status_code == 200
