"""The Content-Security-Policy header: on every page, our own files and our socket only.

That the pages, the gallery and the admin really work under it is proven in the
browser: tests/browser/conftest.py fails any browser test that meets a violation.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import World, logged_in

pytestmark = pytest.mark.django_db

PAGES = [
    pytest.param(None, "/", id="home"),
    pytest.param(None, "/accounts/login/", id="login"),
    pytest.param("owner", "/chats/", id="chat_list"),
    pytest.param("owner", "/chats/{chat}/", id="chat_page"),
    pytest.param("owner", "/usage/", id="usage"),
    pytest.param("owner", "/api/chats/", id="api"),
    pytest.param("staff", "/admin/", id="admin"),
    pytest.param("staff", "/admin/chatcore/chat/{chat}/change/", id="admin_chat"),
    pytest.param("staff", "/gallery/", id="gallery"),
    pytest.param(None, "/no/such/page/", id="not_found"),
]

EXPECTED = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self' ws://testserver",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


@pytest.mark.parametrize(("role", "path"), PAGES)
def test_every_page_carries_the_policy(world: World, role: str | None, path: str) -> None:
    client = logged_in(getattr(world, role) if role else None)
    response = client.get(path.format(chat=world.chat.pk))
    assert response.status_code in (200, 404)
    assert _policy(response["Content-Security-Policy"]) == EXPECTED


def test_over_https_the_socket_is_wss(world: World) -> None:
    response = logged_in(world.owner).get("/chats/", secure=True)
    assert _policy(response["Content-Security-Policy"])["connect-src"] == "'self' wss://testserver"


def test_a_disallowed_host_gets_the_policy_without_a_socket(world: World) -> None:
    response = logged_in(None).get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert _policy(response["Content-Security-Policy"])["connect-src"] == "'self'"
