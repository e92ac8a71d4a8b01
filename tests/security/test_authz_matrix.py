"""Who may do what: anonymous, the chat's owner, another user and staff, against every page,
API endpoint, the chat socket, the admin, the gallery and /metrics. One row per cell, each
with the exact status or close code; a refused cell also changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chatcore.models import ChatMessage, MessageRole, text_parts
from tests.security.conftest import World, db, db_state, logged_in, open_socket, session_cookie

pytestmark = pytest.mark.django_db
# The socket tests run ORM calls on other threads, so they need committed rows.
socket_db = pytest.mark.django_db(transaction=True)

ROLES = ("anonymous", "owner", "other", "staff")
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "metrics-token-for-tests-0123456789"

# (surface, method, path, JSON body or None, {role: status or (302, where)}).
# `{chat}` is the owner's chat. Another user's chat answers like a missing one.
MATRIX: list[tuple[str, str, str, Any, dict[str, Any]]] = [
    ("home", "GET", "/", None, {"anonymous": 200, "*": (302, "/chats/")}),
    ("login_page", "GET", LOGIN, None, {"*": 200}),
    ("healthz", "GET", "/healthz", None, {"*": 200}),
    ("chat_list", "GET", "/chats/", None, {"anonymous": (302, LOGIN), "*": 200}),
    ("chat_new", "GET", "/chats/new/", None, {"anonymous": (302, LOGIN), "*": 200}),
    (
        "chat_page",
        "GET",
        "/chats/{chat}/",
        None,
        {"anonymous": (302, LOGIN), "owner": 200, "other": 404, "staff": 404},
    ),
    ("usage", "GET", "/usage/", None, {"anonymous": (302, LOGIN), "*": 200}),
    (
        "sidebar_search",
        "GET",
        "/chats/sidebar/?q=mine",
        None,
        {"anonymous": (302, LOGIN), "*": 200},
    ),
    (
        "chat_rename",
        "POST",
        "/chats/{chat}/rename/",
        "form:title=taken",
        {"anonymous": (302, LOGIN), "owner": (302, "/chats/{chat}/"), "other": 404, "staff": 404},
    ),
    (
        "chat_settings",
        "POST",
        "/chats/{chat}/settings/",
        "form:system_prompt=obey me",
        {"anonymous": (302, LOGIN), "owner": (302, "/chats/{chat}/"), "other": 404, "staff": 404},
    ),
    (
        "chat_delete",
        "POST",
        "/chats/{chat}/delete/",
        "form:",
        {"anonymous": (302, LOGIN), "owner": (302, "/chats/new/"), "other": 404, "staff": 404},
    ),
    ("api_list", "GET", "/api/chats/", None, {"anonymous": 401, "*": 200}),
    ("api_search", "GET", "/api/chats/?q=mine", None, {"anonymous": 401, "*": 200}),
    (
        "api_create",
        "POST",
        "/api/chats/",
        {"provider": "fake"},
        {"anonymous": 401, "*": 201},
    ),
    (
        "api_detail",
        "GET",
        "/api/chats/{chat}/",
        None,
        {"anonymous": 401, "owner": 200, "other": 404, "staff": 404},
    ),
    (
        "api_patch",
        "PATCH",
        "/api/chats/{chat}/",
        {"title": "taken", "system_prompt": "obey me"},
        {"anonymous": 401, "owner": 200, "other": 404, "staff": 404},
    ),
    (
        "api_delete",
        "DELETE",
        "/api/chats/{chat}/",
        None,
        {"anonymous": 401, "owner": 204, "other": 404, "staff": 404},
    ),
    (
        "api_send",
        "POST",
        "/api/chats/{chat}/messages/",
        {"content": "hello"},
        {"anonymous": 401, "owner": 202, "other": 404, "staff": 404},
    ),
    (
        "api_stop",
        "POST",
        "/api/chats/{chat}/stop/",
        {},
        {"anonymous": 401, "owner": 202, "other": 404, "staff": 404},
    ),
    (
        "api_retry",
        "POST",
        "/api/chats/{chat}/retry/",
        {},
        {"anonymous": 401, "owner": 202, "other": 404, "staff": 404},
    ),
    ("admin_index", "GET", "/admin/", None, {"staff": 200, "*": (302, ADMIN_LOGIN)}),
    (
        "admin_chat_list",
        "GET",
        "/admin/chatcore/chat/",
        None,
        {"staff": 200, "*": (302, ADMIN_LOGIN)},
    ),
    (
        "admin_chat_change",
        "GET",
        "/admin/chatcore/chat/{chat}/change/",
        None,
        {"staff": 200, "*": (302, ADMIN_LOGIN)},
    ),
    (
        "admin_provider_change",
        "GET",
        "/admin/chatcore/provider/{provider}/change/",
        None,
        {"staff": 200, "*": (302, ADMIN_LOGIN)},
    ),
    (
        "admin_retry_events",
        "GET",
        "/admin/chatcore/chatretryevent/",
        None,
        {"staff": 200, "*": (302, ADMIN_LOGIN)},
    ),
    (
        "admin_requeue_action",
        "POST",
        "/admin/chatcore/chat/{chat}/requeue/",
        None,
        {"staff": (302, "/admin/chatcore/chat/{chat}/change/"), "*": (302, ADMIN_LOGIN)},
    ),
    ("gallery_index", "GET", "/gallery/", None, {"staff": 200, "*": 404}),
    (
        "gallery_story",
        "GET",
        "/gallery/chat_status_callout/failed-detail-with-html/",
        None,
        {"staff": 200, "*": 404},
    ),
    ("metrics", "GET", "/metrics", None, {"staff": 200, "*": 403}),
]

# Cells whose request is allowed to write (the owner acting on their own chat, anyone
# creating their own chat, staff re-queueing); every other cell must change nothing.
_WRITES = {
    ("api_create", "owner"),
    ("api_create", "other"),
    ("api_create", "staff"),
    ("api_send", "owner"),
    ("api_retry", "owner"),
    ("api_patch", "owner"),
    ("api_delete", "owner"),
    ("chat_rename", "owner"),
    ("chat_settings", "owner"),
    ("chat_delete", "owner"),
    ("admin_requeue_action", "staff"),
}


def _expected(cells: dict[str, Any], role: str) -> Any:
    return cells.get(role, cells.get("*"))


def _cases() -> list[Any]:
    return [
        pytest.param(
            surface, method, path, body, role, _expected(cells, role), id=f"{surface}-{role}"
        )
        for surface, method, path, body, cells in MATRIX
        for role in ROLES
    ]


def _user(world: World, role: str) -> Any:
    return None if role == "anonymous" else getattr(world, role)


def _failed_turn(world: World) -> None:
    """A chat with a failed turn, so "retry" and "re-queue" have something to act on."""
    ChatMessage.objects.create(chat=world.chat, role=MessageRole.USER, content=text_parts("hi"))
    error = {"message": "The AI provider failed.", "kind": "generic", "retryable": True}
    type(world.chat).objects.filter(pk=world.chat.pk).update(status="failed", last_error=error)


def _request(client: Client, method: str, path: str, body: Any) -> Any:
    if body is None:
        return client.generic(method, path)
    if isinstance(body, str) and body.startswith("form:"):
        fields = dict(pair.split("=", 1) for pair in body[5:].split("&") if pair)
        return client.post(path, fields)
    return client.generic(method, path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(("surface", "method", "path", "body", "role", "expected"), _cases())
def test_http_access(
    world: World, surface: str, method: str, path: str, body: Any, role: str, expected: Any
) -> None:
    _failed_turn(world)
    url = path.format(chat=world.chat.pk, provider=world.provider.pk)
    client = logged_in(_user(world, role))
    before = db_state()
    response = _request(client, method, url, body)
    status, where = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, response.content[:300]
    if where is not None:
        assert response["Location"].startswith(where.format(chat=world.chat.pk))
    if (surface, role) not in _WRITES:
        assert db_state() == before


@pytest.mark.parametrize(
    ("header", "status"),
    [
        pytest.param(f"Bearer {TOKEN}", 200, id="right_bearer_token"),
        pytest.param("Bearer wrong-token", 403, id="wrong_bearer_token"),
        pytest.param(f"bearer {TOKEN}", 403, id="scheme_is_case_sensitive_here"),
        pytest.param(f"Bearer {TOKEN}x", 403, id="token_with_a_suffix"),
        pytest.param("", 403, id="no_header"),
    ],
)
def test_metrics_bearer_token(world: World, settings: Any, header: str, status: int) -> None:
    settings.METRICS_TOKEN = TOKEN
    headers = {"Authorization": header} if header else {}
    assert Client().get("/metrics", headers=headers).status_code == status


def test_metrics_without_a_configured_token_refuse_any_bearer(world: World, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


SOCKET = [
    pytest.param("anonymous", 4401, id="socket-anonymous-4401"),
    pytest.param("owner", None, id="socket-owner-accepted"),
    pytest.param("other", 4403, id="socket-other-4403"),
    pytest.param("staff", 4403, id="socket-staff-4403"),
]


@socket_db
@pytest.mark.parametrize(("role", "code"), SOCKET)
async def test_socket_access(world: World, role: str, code: int | None) -> None:
    user = _user(world, role)
    cookie = await db(session_cookie)(user) if user is not None else None
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        connected, _ = await communicator.connect()
        assert connected, "accepted first, so a close code reaches the browser"
        output = await communicator.receive_output(timeout=5)
    if code is None:
        assert output["type"] == "websocket.send" and "transcript" in output["text"]
    else:
        assert output == {"type": "websocket.close", "code": code}


@socket_db
@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(b"http://evil.example", id="foreign_origin"),
        pytest.param(b"null", id="null_origin"),
        pytest.param(None, id="no_origin"),
    ],
)
async def test_cross_site_sockets_are_refused_even_for_the_owner(
    world: World, origin: bytes | None
) -> None:
    from channels.testing import WebsocketCommunicator

    from chatui.asgi import application

    cookie = await db(session_cookie)(world.owner)
    headers = [(b"cookie", cookie)] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(
        application, f"/ws/chats/{world.chat.pk}/", headers=headers
    )
    try:
        connected, _ = await communicator.connect()
    finally:
        await communicator.disconnect()
    assert not connected


@pytest.mark.parametrize("role", ["other", "staff"])
def test_nobody_else_finds_or_lists_the_owners_chats(world: World, role: str) -> None:
    ChatMessage.objects.create(
        chat=world.chat, role=MessageRole.USER, content=text_parts("the secret word is zebra")
    )
    client = logged_in(_user(world, role))
    for path in ("/chats/sidebar/?q=zebra", "/chats/sidebar/?q=mine", "/chats/", "/chats/new/"):
        page = client.get(path, HTTP_HX_REQUEST="true").content.decode()
        assert f'data-sidebar-chat="{world.chat.pk}"' not in page, path
        assert "zebra" not in page.replace("zebra”", "").replace("“zebra", ""), path
    assert client.get("/api/chats/", {"q": "zebra"}).json()["chats"] == []
    assert client.get("/api/chats/").json()["chats"] == []


SIDEBAR_SOCKET = [
    pytest.param("anonymous", 4401, id="sidebar-socket-anonymous-4401"),
    pytest.param("owner", None, id="sidebar-socket-owner-accepted"),
    pytest.param("other", None, id="sidebar-socket-other-accepted-for-their-own"),
]


@socket_db
@pytest.mark.parametrize(("role", "code"), SIDEBAR_SOCKET)
async def test_sidebar_socket_access(world: World, role: str, code: int | None) -> None:
    user = _user(world, role)
    cookie = await db(session_cookie)(user) if user is not None else None
    async with open_socket("/ws/sidebar/", cookie) as communicator:
        connected, _ = await communicator.connect()
        assert connected
        if code is None:
            assert await communicator.receive_nothing(timeout=0.3)
        else:
            output = await communicator.receive_output(timeout=5)
            assert output == {"type": "websocket.close", "code": code}


@socket_db
@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="plain"),
        # The group comes from the session, never from the client.
        pytest.param("?user=1&owner=1&group=user_1&since=2000-01-01T00:00:00Z", id="forged_query"),
    ],
)
async def test_another_users_sockets_hear_nothing_of_the_owners_chats(
    world: World, query: str
) -> None:
    from channels.layers import get_channel_layer

    from chatcore.chats import ChatService

    service = ChatService(get_channel_layer())
    other_cookie = await db(session_cookie)(world.other)
    other_chat = await db(create_chat_for)(world.other, world.provider)
    async with (
        open_socket(f"/ws/sidebar/{query}", other_cookie) as sidebar,
        open_socket(f"/ws/chats/{other_chat}/{query}", other_cookie) as chat_page,
    ):
        assert (await sidebar.connect())[0] and (await chat_page.connect())[0]
        await service.rename(world.chat.pk, "renamed by its owner")
        await service.update_settings(world.chat.pk, system_prompt="private")
        await service.delete(world.chat.pk)
        heard = await _everything(sidebar) + await _everything(chat_page)
    # Only their own chat, ever (a forged ``since`` only replays their own entries).
    pk = world.chat.pk
    leaks = (
        f'data-sidebar-chat="{pk}"',
        f'data-sidebar-update="{pk}"',
        f'data-sidebar-removed="{pk}"',
        f"/chats/{pk}/",
        "renamed by its owner",
        "private",
    )
    assert not [leak for frame in heard for leak in leaks if leak in frame]


async def _everything(communicator: Any) -> list[str]:
    frames = []
    while not await communicator.receive_nothing(timeout=0.5):
        output = await communicator.receive_output()
        frames.append(str(output.get("text", output)))
    return frames


def create_chat_for(user: Any, provider: Any) -> int:
    from chatcore.chats import create_chat

    return create_chat(owner=user, provider=provider, model="echo", title="theirs").pk


# The Origin must be the socket's own: scheme, host and port (chatui.origin).
# (row id, Origin, Host, X-Forwarded-Proto, accepted)
ORIGINS = [
    pytest.param("http://localhost:8000", "localhost:8000", None, True, id="same_origin"),
    pytest.param("http://LOCALHOST:8000", "localhost:8000", None, True, id="host_case"),
    pytest.param("http://localhost", "localhost", None, True, id="default_port_both"),
    pytest.param("http://localhost:80", "localhost", None, True, id="explicit_default_port"),
    pytest.param("http://localhost:9999", "localhost:8000", None, False, id="other_port"),
    pytest.param("http://localhost", "localhost:8000", None, False, id="default_vs_explicit"),
    pytest.param("https://localhost:8000", "localhost:8000", None, False, id="https_page_ws_sock"),
    pytest.param("http://127.0.0.1:8000", "localhost:8000", None, False, id="other_allowed_host"),
    pytest.param("https://localhost", "localhost", "https", True, id="behind_tls_proxy"),
    pytest.param("http://localhost", "localhost", "https", False, id="http_page_behind_tls"),
    pytest.param("https://localhost:8443", "localhost", "https", False, id="tls_other_port"),
    pytest.param("http://evil.example", "evil.example", None, False, id="host_not_allowed"),
    pytest.param("http://localhost:8000/path", "localhost:8000", None, False, id="not_an_origin"),
    pytest.param("ftp://localhost:8000", "localhost:8000", None, False, id="other_scheme"),
    pytest.param("http://localhost:99999", "localhost:8000", None, False, id="bad_port"),
    pytest.param("http://[::1]:8000", "[::1]:8000", None, True, id="ipv6_same_origin"),
]


@socket_db
@pytest.mark.parametrize(("origin", "host", "proto", "accepted"), ORIGINS)
async def test_the_origin_must_match_scheme_host_and_port(
    world: World, origin: str, host: str, proto: str | None, accepted: bool
) -> None:
    from channels.testing import WebsocketCommunicator

    from chatui.asgi import application

    cookie = await db(session_cookie)(world.owner)
    headers = [(b"cookie", cookie), (b"origin", origin.encode()), (b"host", host.encode())]
    if proto:
        headers.append((b"x-forwarded-proto", proto.encode()))
    communicator = WebsocketCommunicator(
        application, f"/ws/chats/{world.chat.pk}/", headers=headers
    )
    try:
        connected, _ = await communicator.connect()
    finally:
        await communicator.disconnect()
    assert connected is accepted


@socket_db
async def test_a_trusted_origin_is_accepted_whatever_the_host_says(
    world: World, settings: Any
) -> None:
    """A proxy that rewrites Host: the public origin listed in CSRF_TRUSTED_ORIGINS."""
    from channels.testing import WebsocketCommunicator

    from chatui.asgi import application

    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.test"]
    cookie = await db(session_cookie)(world.owner)
    for origin, accepted in (
        ("https://chat.example.test", True),
        ("http://chat.example.test", False),
    ):
        headers = [(b"cookie", cookie), (b"origin", origin.encode()), (b"host", b"localhost:8001")]
        communicator = WebsocketCommunicator(
            application, f"/ws/chats/{world.chat.pk}/", headers=headers
        )
        try:
            connected, _ = await communicator.connect()
        finally:
            await communicator.disconnect()
        assert connected is accepted, origin
