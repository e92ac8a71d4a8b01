"""CSRF: every POST form and POST endpoint refuses a request without the token (403, nothing
changes) and accepts the same request with it, so the refusal is the token's doing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from chatcore.models import ChatMessage, MessageRole, text_parts
from chatui.gallery.dom import parse_html, select, text_of
from tests.security.conftest import PASSWORD, World, db_state

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Post:
    """One POST: who sends it, where, the form or JSON body, and its status with the token."""

    user: str  # "anonymous" | "owner" | "staff"
    path: str
    form: dict[str, Any] | None = None
    json_body: dict[str, Any] | None = None
    accepted: int = 302


# Start from the fields the page's own form holds (admin change forms carry inline
# management fields), as a browser would submit them.
PAGE = {"__from_page__": True}

POSTS = [
    pytest.param(Post("anonymous", "/accounts/login/", form={"username": "owner"}), id="login"),
    pytest.param(Post("owner", "/accounts/logout/", form={}), id="logout"),
    pytest.param(
        Post("owner", "/chats/new/", form={"provider": "{provider}", "model": "echo"}),
        id="new_chat_form",
    ),
    pytest.param(
        Post("owner", "/api/chats/", json_body={"provider": "fake"}, accepted=201),
        id="api_create_chat",
    ),
    pytest.param(
        Post("owner", "/api/chats/{chat}/messages/", json_body={"content": "x"}, accepted=202),
        id="api_send",
    ),
    pytest.param(
        Post("owner", "/api/chats/{chat}/stop/", json_body={}, accepted=202), id="api_stop"
    ),
    pytest.param(
        Post("owner", "/api/chats/{chat}/retry/", json_body={}, accepted=202), id="api_retry"
    ),
    pytest.param(
        Post("staff", "/admin/chatcore/chat/", form={"action": "clear_error"}),
        id="admin_action_clear_error",
    ),
    pytest.param(
        Post("staff", "/admin/chatcore/chat/", form={"action": "requeue_last_turn"}),
        id="admin_action_requeue",
    ),
    pytest.param(
        Post("staff", "/admin/chatcore/chat/{chat}/clear-error/", form={}),
        id="admin_clear_error_button",
    ),
    pytest.param(
        Post("staff", "/admin/chatcore/chat/{chat}/requeue/", form={}), id="admin_requeue_button"
    ),
    pytest.param(
        Post("staff", "/admin/chatcore/chat/{chat}/change/", form={"title": "renamed", **PAGE}),
        id="admin_chat_change",
    ),
    pytest.param(
        Post(
            "staff",
            "/admin/chatcore/provider/{provider}/change/",
            form={"enabled": "", "clear_api_key": "on", **PAGE},
        ),
        id="admin_provider_change",
    ),
    pytest.param(
        Post("staff", "/admin/chatcore/chat/{chat}/delete/", form={"post": "yes"}),
        id="admin_delete_chat",
    ),
    pytest.param(
        Post("anonymous", "/admin/login/", form={"username": "operator"}), id="admin_login"
    ),
    pytest.param(Post("staff", "/admin/logout/", form={}), id="admin_logout"),
]


def _failed_turn(world: World) -> None:
    ChatMessage.objects.create(chat=world.chat, role=MessageRole.USER, content=text_parts("hi"))
    error = {"message": "The AI provider failed.", "kind": "generic", "retryable": True}
    type(world.chat).objects.filter(pk=world.chat.pk).update(status="failed", last_error=error)


def _client(world: World, user: str) -> Client:
    """A client that enforces CSRF and holds a real ``csrftoken`` cookie (as a browser would)."""
    client = Client(enforce_csrf_checks=True)
    if user != "anonymous":
        client.force_login(getattr(world, user))
    assert client.get("/accounts/login/").status_code == 200  # sets the csrftoken cookie
    return client


def _send(client: Client, post: Post, world: World, *, token: str | None) -> Any:
    path = post.path.format(chat=world.chat.pk, provider=world.provider.pk)
    headers = {"X-CSRFToken": token} if token else {}
    if post.json_body is not None:
        body = json.dumps(post.json_body)
        return client.post(path, body, content_type="application/json", headers=headers)
    form = {
        key: str(value).format(chat=world.chat.pk, provider=world.provider.pk)
        for key, value in (post.form or {}).items()
    }
    if form.pop("__from_page__", None):
        form = {**_page_form(client, path), **form}
    if "username" in form:
        form["password"] = PASSWORD
    if form.get("action"):
        form["_selected_action"] = [str(world.chat.pk)]
    return client.post(path, form, headers=headers)


def _page_form(client: Client, path: str) -> dict[str, str]:
    """The named fields of the form on ``path`` with their current values."""
    page = parse_html(client.get(path).content.decode())
    fields: dict[str, str] = {}
    for node in page.elements():
        name = node.attrs.get("name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        if node.tag == "input" and node.attrs.get("type") in ("checkbox", "radio"):
            if "checked" in node.attrs:
                fields[name] = node.attrs.get("value") or "on"
        elif node.tag == "input":
            fields[name] = node.attrs.get("value") or ""
        elif node.tag == "textarea":
            fields[name] = text_of(node)
        elif node.tag == "select":
            chosen = [o for o in select(node, "option") if "selected" in o.attrs]
            fields[name] = chosen[0].attrs.get("value", "") if chosen else ""
    return fields


def _who(client: Client) -> str:
    """The signed-in user's id for this client's session ("" when none)."""
    from django.contrib.auth import SESSION_KEY

    return str(client.session.get(SESSION_KEY, ""))


@pytest.mark.parametrize("post", POSTS)
def test_a_post_without_the_token_is_refused_and_changes_nothing(world: World, post: Post) -> None:
    _failed_turn(world)
    client = _client(world, post.user)
    signed_in, before = _who(client), db_state()
    response = _send(client, post, world, token=None)
    assert response.status_code == 403
    if post.path.startswith("/api/"):
        assert "CSRF" in response.json()["error"], "API clients get a JSON reason"
    assert db_state() == before
    assert _who(client) == signed_in, "no login or logout happened"


@pytest.mark.parametrize("post", POSTS)
def test_the_same_post_with_the_token_is_accepted(world: World, post: Post) -> None:
    _failed_turn(world)
    client = _client(world, post.user)
    response = _send(client, post, world, token=client.cookies["csrftoken"].value)
    assert response.status_code == post.accepted, response.content[:300]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("x" * 32, id="made_up_token"),
        pytest.param("", id="empty_header"),
    ],
)
def test_a_wrong_token_is_refused(world: World, token: str) -> None:
    client = _client(world, "owner")
    before = db_state()
    response = client.post(
        "/api/chats/",
        json.dumps({"provider": "fake"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 403
    assert db_state() == before
