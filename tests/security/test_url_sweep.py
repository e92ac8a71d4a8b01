"""Every URL pattern, every method, hostile bodies and content types, three kinds of user:
no answer is a 5xx.

The patterns come from the URL resolver itself, so a route added later is swept
too (a test below fails if a pattern cannot be turned into a URL). Before this,
a ``multipart/form-data`` POST to the JSON API was a 500 (the body was read
after Django had parsed it as a form) and so was ``GET /static/%2e%2e/…``.
Django's test client skips the CSRF check, so each request reaches the view.
The static files and the fake provider's mount live in the ASGI app, outside
the URL patterns: they are swept through ``chatui.asgi`` directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from chatcore.models import Chat, ChatRetryEvent
from tests.security.conftest import World, logged_in

pytestmark = pytest.mark.django_db

HUGE_ID = "99999999999999999999"

# (name, body, content type); None: Django's test client encodes a dict as multipart.
BODIES: list[tuple[str, Any, str | None]] = [
    ("multipart", {"content": "hi", "csrfmiddlewaretoken": "x", "_save": "1"}, None),
    (
        "broken_multipart",
        b"--zz\r\nContent-Disposition: form-data\r\n\r\n",
        "multipart/form-data; boundary=zz",
    ),
    ("multipart_no_boundary", b"whatever", "multipart/form-data"),
    ("form", "content=hi&post=yes&action=delete_selected", "application/x-www-form-urlencoded"),
    ("json_garbage", '{"content": [', "application/json"),
    ("json_wrong_charset", '{"content": "hi"}', "application/json; charset=no-such-charset"),
    ("binary", bytes(range(256)) * 8, "application/octet-stream"),
    ("text", "hello", "text/plain"),
    ("xml", "<?xml version='1.0'?><a>&b;</a>", "application/xml"),
]
BODYLESS = ["GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "PROPFIND"]
ROLES = ["anonymous", "owner", "staff"]


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _routes() -> list[str]:
    return sorted({route for route, _ in _walk(get_resolver().url_patterns)})


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


def _object_ids(route: str, world: World) -> list[str]:
    """The real object a route is about, then ids of nothing."""
    models = {
        "/chatcore/chat/": lambda: world.chat.pk,
        "/chatcore/chatretryevent/": lambda: ChatRetryEvent.objects.get().pk,
        "/chatcore/provider/": lambda: world.provider.pk,
        "/auth/user/": lambda: world.other.pk,
        "/auth/group/": lambda: Group.objects.get().pk,
        "chats/": lambda: world.chat.pk,
    }
    real = next((str(pk()) for part, pk in models.items() if part in route), str(world.chat.pk))
    return [real, "0", HUGE_ID, "%2e%2e", "<b>"]


def _urls(route: str, world: World) -> list[str]:
    """URLs that match ``route``: each parameter filled with a real and hostile values."""
    values = {
        "uidb64": ["MQ", "%00"],
        "token": ["set-password", "x" * 300],
        "component": ["chat_status_callout", "nope"],
        "slug": ["failed-detail-with-html", "nope"],
        "content_type_id": [str(ContentType.objects.get_for_model(Chat).pk)],
        "url": ["nowhere/", "%2e%2e/%2e%2e/"],
    }
    path = "/" + route.replace("^", "").replace("$", "")
    path = _GROUP.sub(
        lambda m: m["body"].split("|")[0] if "|" in m["body"] else "{" + m["name"] + "}", path
    )
    path = _PARAM.sub(lambda m: "{" + m["name"] + "}", path)
    names = re.findall(r"{(\w+)}", path)
    variants = [values.get(name) or _object_ids(route, world) for name in names]
    urls = []
    for index in range(max((len(v) for v in variants), default=1)):
        filled = path
        for name, options in zip(names, variants, strict=True):
            filled = filled.replace("{" + name + "}", options[min(index, len(options) - 1)], 1)
        urls.append(filled)
    return urls


def _client(world: World, role: str) -> Client:
    return logged_in(None if role == "anonymous" else getattr(world, role))


def _request(client: Client, method: str, url: str, body: Any, content_type: str | None) -> Any:
    if body is None:
        return client.generic(method, url)
    if content_type is None:  # a dict: multipart, as a browser form with a file sends it
        if method == "POST":
            return client.post(url, body)
        return client.generic(method, url, b"--x--", content_type="multipart/form-data; boundary=x")
    return client.generic(method, url, body, content_type=content_type)


@pytest.fixture
def sweep_world(world: World) -> World:
    """The world, plus one of everything the admin lists."""
    ChatRetryEvent.objects.create(
        chat=world.chat,
        attempt=1,
        kind="overloaded",
        delay_ms=1000,
        retrying_at=world.chat.created_at,
    )
    Group.objects.create(name="operators")
    return world


def test_every_pattern_gives_urls_that_resolve(sweep_world: World) -> None:
    for route in _routes():
        first = _urls(route, sweep_world)[0]
        try:
            resolve(first.split("?")[0])
        except Resolver404:
            pytest.fail(f"the sweep cannot build a URL for the pattern {route!r} (got {first})")


def _requests(full: bool) -> list[tuple[str, Any, str | None, str]]:
    """(method, body, content type, name): the whole matrix, or a GET and a form POST."""
    if not full:
        return [("GET", None, None, "none"), ("POST", *BODIES[0][1:], BODIES[0][0])]
    bodyless = [(method, None, None, "none") for method in BODYLESS]
    posts = [("POST", body, ctype, name) for name, body, ctype in BODIES]
    # PUT and PATCH: what Django does not parse as a form, and what it does.
    others = [
        (method, body, ctype, name)
        for method in ("PUT", "PATCH")
        for name, body, ctype in BODIES
        if name in ("multipart", "json_garbage")
    ]
    return bodyless + posts + others


@pytest.mark.parametrize("route", _routes())
def test_no_hostile_request_to_a_pattern_is_a_5xx(sweep_world: World, route: str) -> None:
    """The whole matrix on the URL of a real object; GET and POST on ids of nothing."""
    failures = []
    for index, url in enumerate(_urls(route, sweep_world)):
        for role in ROLES:
            client = _client(sweep_world, role)
            for method, body, content_type, name in _requests(full=index == 0):
                if "logout" in route:
                    client = _client(sweep_world, role)  # the last request logged it out
                response = _request(client, method, url, body, content_type)
                if response.status_code >= 500:
                    failures.append(f"{method} {url} as {role} with {name}: {response.status_code}")
    assert not failures, "\n".join(failures)


# -- outside the URL patterns: static files and the fake provider's mount --------------

ASGI_PATHS = [
    "/static/css/app.css",
    "/static/%2e%2e/chatui/settings.py",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/",
    "/static",
    "/fake/",
    "/fake/openai/v1/chat/completions",
    "/fake/anthropic/v1/messages",
    "/fake/_fake/requests",
    "/fake/_fake/reset",
    "/fake/%2e%2e/admin/",
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ASGI_PATHS)
async def test_no_hostile_request_to_the_asgi_mounts_is_a_5xx(world: World, path: str) -> None:
    from chatui.asgi import application

    failures = []
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        for method in [*BODYLESS, "POST", "PUT", "PATCH"]:
            for name, body, content_type in BODIES:
                if content_type is None:
                    content_type = "multipart/form-data; boundary=x"
                    body = b"--x--"
                raw = body.encode() if isinstance(body, str) else body
                response = await client.request(
                    method, path, content=raw, headers={"content-type": content_type}
                )
                if response.status_code >= 500:
                    failures.append(f"{method} {path} with {name}: {response.status_code}")
    assert not failures, "\n".join(failures)
