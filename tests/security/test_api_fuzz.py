"""Hostile JSON API input: every refusal is a 4xx with a JSON error, never a 500, and
nothing is written. Real requests through Django's stack, a real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from chatcore.chats import MAX_MESSAGE_CHARS
from tests.security.conftest import World, db_state, logged_in
from tests.security.frames import storable

pytestmark = pytest.mark.django_db

HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        ["fake", "echo", "", " ", "0", "-1", "²", "\u0661\u0662", "99999999999999999999"]
    )
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def _refusal(response: Any) -> dict[str, Any]:
    """The response is a 4xx with a JSON body that says why; that body."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("error") or body.get("message"), str), body
    return body


def _post(client: Client, path: str, raw: bytes | str) -> Any:
    return client.generic("POST", path, raw, content_type="application/json")


def _creates_a_chat(data: object, world: World) -> bool:
    """Whether the API contract lets ``data`` create a chat (it is then not hostile)."""
    if not isinstance(data, dict):
        return False
    ref, model, title = data.get("provider"), data.get("model", ""), data.get("title", "")
    names = {world.provider.name, str(world.provider.pk)}
    known = (isinstance(ref, str) and ref in names) or (
        type(ref) is int and ref == world.provider.pk
    )
    return (
        known
        and isinstance(model, str)
        and model.strip() in ("", *world.provider.model_names)
        and isinstance(title, str)
        and storable(title)
    )


def _sends_a_message(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    content, request_id = data.get("content"), data.get("client_request_id")
    return (
        isinstance(content, str)
        and bool(content.strip())
        and len(content) <= MAX_MESSAGE_CHARS
        and storable(content)
        and (request_id is None or (isinstance(request_id, str) and storable(request_id)))
    )


_CREATE_BODIES = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {"provider": _JSON}, optional={"model": _JSON, "title": _JSON, "extra": _JSON}
    ),
)
_SEND_BODIES = st.one_of(
    _JSON,
    st.fixed_dictionaries({"content": _JSON}, optional={"client_request_id": _JSON}),
)


@HYPOTHESIS
@given(data=_CREATE_BODIES)
def test_hostile_chat_creations_are_refused(world: World, data: object) -> None:
    assume(not _creates_a_chat(data, world))
    client = logged_in(world.owner)
    before = db_state()
    _refusal(_post(client, "/api/chats/", json.dumps(data)))
    assert db_state() == before


@HYPOTHESIS
@given(data=_SEND_BODIES)
@example(data={"content": "hello", "client_request_id": {}})  # an empty id object is no "none"
def test_hostile_sends_are_refused(world: World, data: object) -> None:
    assume(not _sends_a_message(data))
    client = logged_in(world.owner)
    before = db_state()
    _refusal(_post(client, f"/api/chats/{world.chat.pk}/messages/", json.dumps(data)))
    assert db_state() == before


@HYPOTHESIS
@given(raw=st.binary(max_size=400) | st.text(max_size=400))
def test_arbitrary_bytes_as_a_body_are_refused(world: World, raw: bytes | str) -> None:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    assume(not _creates_a_chat(parsed, world) and not _sends_a_message(parsed))
    client = logged_in(world.owner)
    before = db_state()
    for path in ("/api/chats/", f"/api/chats/{world.chat.pk}/messages/"):
        _refusal(_post(client, path, raw))
    assert db_state() == before


_DEEP = "[" * 50_000 + "]" * 50_000

BODIES = [
    pytest.param("/api/chats/", _DEEP, 400, id="create_deeply_nested_json"),
    pytest.param("/messages/", _DEEP, 400, id="send_deeply_nested_json"),
    pytest.param("/messages/", '{"content": ' + _DEEP + "}", 400, id="send_nested_content"),
    pytest.param("/messages/", json.dumps({"content": "x" * 300_000}), 413, id="send_300_kb"),
    pytest.param("/messages/", "x" * (3 * 1024 * 1024), 413, id="send_3_mb_junk"),
    pytest.param("/api/chats/", json.dumps({"title": "t" * 400_000}), 413, id="create_400_kb"),
    pytest.param(
        "/messages/",
        json.dumps({"content": "y" * (MAX_MESSAGE_CHARS + 1)}),
        400,
        id="send_over_the_message_limit",
    ),
    pytest.param("/messages/", r'{"content": "a\u0000b"}', 400, id="send_nul_in_content"),
    pytest.param("/messages/", r'{"content": "\ud800"}', 400, id="send_lone_surrogate"),
    pytest.param(
        "/messages/",
        r'{"content": "hi", "client_request_id": "\udc00"}',
        400,
        id="send_lone_surrogate_request_id",
    ),
    pytest.param(
        "/messages/",
        json.dumps({"content": "hi", "client_request_id": "r" * 201}),
        400,
        id="send_request_id_too_long",
    ),
    pytest.param(
        "/api/chats/", r'{"provider": "fake", "title": "a\u0000b"}', 400, id="create_nul_title"
    ),
    pytest.param(
        "/api/chats/", r'{"provider": "fake", "title": "\ud800"}', 400, id="create_surrogate_title"
    ),
    pytest.param("/api/chats/", json.dumps({"provider": "²"}), 400, id="provider_superscript_two"),
    pytest.param(
        "/api/chats/", json.dumps({"provider": "\u0661"}), 400, id="provider_arabic_digit"
    ),
    pytest.param(
        "/api/chats/",
        json.dumps({"provider": "99999999999999999999"}),
        400,
        id="provider_id_beyond_bigint",
    ),
    pytest.param(
        "/api/chats/", json.dumps({"provider": 10**30}), 400, id="provider_int_beyond_bigint"
    ),
    pytest.param("/api/chats/", json.dumps({"provider": -1}), 400, id="provider_negative"),
    pytest.param("/api/chats/", json.dumps({"provider": 1.5}), 400, id="provider_float"),
    pytest.param(
        "/api/chats/",
        json.dumps({"provider": "fake", "model": "m" * 300}),
        400,
        id="model_too_long",
    ),
    pytest.param("/api/chats/", "NaN", 400, id="nan_document"),
    pytest.param("/api/chats/", "", 400, id="create_empty_body"),
]


@pytest.mark.parametrize(("path", "raw", "status"), BODIES)
def test_hostile_bodies_get_their_4xx(world: World, path: str, raw: str, status: int) -> None:
    url = f"/api/chats/{world.chat.pk}/messages/" if path == "/messages/" else path
    client = logged_in(world.owner)
    before = db_state()
    response = _post(client, url, raw)
    _refusal(response)
    assert response.status_code == status
    assert db_state() == before


def test_a_model_is_any_name_only_within_its_column(world: World) -> None:
    """A provider with no model list takes any model name, but not one past the column."""
    world.provider.models = []
    world.provider.save(update_fields=["models"])
    client = logged_in(world.owner)
    before = db_state()
    _refusal(_post(client, "/api/chats/", json.dumps({"provider": "fake", "model": "m" * 201})))
    assert db_state() == before


BAD_IDS = ["abc", "99999999999999999999", "-1", "0", "1.5", "%E2%91%A0", "%D9%A1", "1e3", "0x1"]
ENDPOINTS = [
    ("GET", "/api/chats/{}/"),
    ("POST", "/api/chats/{}/messages/"),
    ("POST", "/api/chats/{}/stop/"),
    ("POST", "/api/chats/{}/retry/"),
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(("method", "template"), ENDPOINTS, ids=lambda v: str(v).strip("/{}"))
def test_bad_chat_ids_are_json_404s(world: World, method: str, template: str, bad_id: str) -> None:
    client = logged_in(world.owner)
    before = db_state()
    body = json.dumps({"content": "hello"})
    response = client.generic(
        method, template.format(bad_id), body, content_type="application/json"
    )
    assert response.status_code == 404
    _refusal(response)
    assert db_state() == before


_WRONG_METHODS = [
    pytest.param(method, template, id=f"{method}-{template}")
    for method in ("PUT", "PATCH", "DELETE")
    for template in (
        "/api/chats/",
        "/api/chats/{}/",
        "/api/chats/{}/messages/",
        "/api/chats/{}/stop/",
    )
    # A chat itself is renamed or re-set (PATCH) and deleted (DELETE).
    if not (template == "/api/chats/{}/" and method in ("PATCH", "DELETE"))
]


@pytest.mark.parametrize(("method", "template"), _WRONG_METHODS)
def test_wrong_methods_are_json_405s(world: World, method: str, template: str) -> None:
    client = logged_in(world.owner)
    before = db_state()
    response = client.generic(
        method, template.format(world.chat.pk), "{}", content_type="application/json"
    )
    assert response.status_code == 405
    assert response.has_header("Allow")
    _refusal(response)
    assert db_state() == before


def test_unknown_api_paths_are_json_404s(world: World) -> None:
    client = logged_in(world.owner)
    for path in ("/api/", "/api/nope/", "/api/chats/1/delete/", "/api/chats//"):
        response = client.get(path)
        assert response.status_code == 404, path
        _refusal(response)


CONTENT_TYPES = [
    # (row id, content type, body, status): the API takes JSON bodies only.
    pytest.param("multipart/form-data; boundary=x", b"--x--", 415, id="multipart_was_a_500"),
    pytest.param("application/x-www-form-urlencoded", b"content=hi", 415, id="form"),
    pytest.param("text/plain", b'{"content": "hi"}', 415, id="json_as_text_plain"),
    pytest.param("application/xml", b"<content>hi</content>", 415, id="xml"),
    pytest.param("application/json", b'{"content": "hi"}', 202, id="json"),
    pytest.param("application/json; charset=utf-8", b'{"content": "hi"}', 202, id="json_utf8"),
    pytest.param("application/merge-patch+json", b'{"content": "hi"}', 202, id="json_suffix"),
    pytest.param("", b'{"content": "hi"}', 202, id="no_content_type"),
]


@pytest.mark.parametrize(("content_type", "raw", "status"), CONTENT_TYPES)
def test_only_json_bodies_are_read(
    world: World, content_type: str, raw: bytes, status: int
) -> None:
    client = logged_in(world.owner)
    before = db_state()
    response = client.generic(
        "POST", f"/api/chats/{world.chat.pk}/messages/", raw, content_type=content_type
    )
    assert response.status_code == status, response.content[:300]
    if status == 415:
        assert "must be JSON" in _refusal(response)["error"]
        assert db_state() == before


def test_a_real_multipart_form_to_the_api_is_a_415(world: World) -> None:
    """What a browser form with a file sends; Django parses it before any view reads it."""
    client = logged_in(world.owner)
    before = db_state()
    for path in ("/api/chats/", f"/api/chats/{world.chat.pk}/messages/"):
        response = client.post(path, {"content": "hi", "provider": "fake"})
        assert response.status_code == 415
    assert db_state() == before
