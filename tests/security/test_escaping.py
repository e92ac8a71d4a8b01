"""Provider texts with HTML and JavaScript render as text everywhere they appear: the chat
page (transcript and callout), the chat list, the socket's snapshot and live fragments, the
admin and the gallery. The texts arrive through real turns where a provider can send them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatcore.chats import chat_group
from chatcore.models import Chat, ChatRetryEvent, ChatStatus, Provider
from chatui.gallery import load_catalogue
from chatui.gallery.dom import parse_html, select
from tests.security.conftest import World, db, logged_in, open_socket, session_cookie
from tests.security.hostile import MARKUP, assert_inert, hostile
from tests.security.turns import run_turn

# Real turns run ORM calls on other threads, so those tests need committed rows.
turns_db = pytest.mark.django_db(transaction=True)

HOSTILE_KIND = MARKUP[1][2:]  # a stored kind is shown as a label; it must stay text too


def _hostile_setup(world: World) -> None:
    """The provider's name and model, and the chat's title, are hostile too."""
    Provider.objects.filter(pk=world.provider.pk).update(
        name=hostile("provider"), models=[hostile("model")], default_model=hostile("model")
    )
    Chat.objects.filter(pk=world.chat.pk).update(title=hostile("title"), model=hostile("model"))


def _hostile_message_and_kind(chat_id: int) -> None:
    """A stored error whose message is hostile (legacy rows keep any text), and a retry
    event whose kind is (a stored error's unknown kind reads back as "generic")."""
    chat = Chat.objects.get(pk=chat_id)
    error = {**(chat.last_error or {}), "message": hostile("message")}
    Chat.objects.filter(pk=chat_id).update(last_error=error)
    ChatRetryEvent.objects.create(
        chat=chat,
        attempt=1,
        kind=HOSTILE_KIND,
        provider=hostile("provider"),
        delay_ms=1000,
        retrying_at=datetime.now(UTC),
    )


@pytest.fixture
async def hostile_chat(world: World, layer: Any) -> World:
    """A chat with a hostile answer (a real turn) and a hostile error detail (a real turn)."""
    await db(_hostile_setup)(world)
    answered = await run_turn(
        layer, world.chat.pk, hostile("user"), [{"kind": "ok", "text": hostile("assistant")}]
    )
    assert answered.status == ChatStatus.IDLE
    body = {"error": {"message": hostile("detail"), "type": "invalid_request_error"}}
    failed = await run_turn(
        layer, world.chat.pk, "again", [{"kind": "status", "status": 400, "body": body}]
    )
    assert failed.status == ChatStatus.FAILED
    assert failed.last_error["detail"] == hostile("detail"), "the provider's text arrived as is"
    await db(_hostile_message_and_kind)(world.chat.pk)
    return world


PAGES = [
    pytest.param(
        "owner",
        "/chats/{chat}/",
        ["title", "user", "assistant", "detail", "message", "provider", "model"],
        id="chat_page_transcript_and_callout",
    ),
    pytest.param("owner", "/chats/", ["title", "provider", "model"], id="chat_list"),
    pytest.param(
        "staff",
        "/admin/chatcore/chat/{chat}/change/",
        ["title", "user", "assistant", "detail", "message", "provider", "model"],
        id="admin_chat_change",
    ),
    pytest.param("staff", "/admin/chatcore/chat/", ["title", "provider"], id="admin_chat_list"),
    pytest.param(
        "staff", "/admin/chatcore/chat/?q=script", ["title", "provider"], id="admin_chat_search"
    ),
    pytest.param(
        "staff", "/admin/chatcore/chatretryevent/", ["title", "provider"], id="admin_retry_events"
    ),
    pytest.param(
        "staff",
        "/admin/chatcore/provider/{provider}/change/",
        ["provider", "model"],
        id="admin_provider_change",
    ),
    pytest.param("staff", "/admin/chatcore/provider/", ["provider"], id="admin_provider_list"),
]


@turns_db
@pytest.mark.parametrize(("role", "path", "shows"), PAGES)
async def test_pages_show_provider_texts_as_text(
    hostile_chat: World, role: str, path: str, shows: list[str]
) -> None:
    world = hostile_chat
    url = path.format(chat=world.chat.pk, provider=world.provider.pk)
    client = await db(logged_in)(getattr(world, role))
    response = await db(client.get)(url)
    assert response.status_code == 200
    assert_inert(response.content.decode(), shows=shows)


@turns_db
async def test_htmx_partials_show_provider_texts_as_text(hostile_chat: World) -> None:
    world = hostile_chat
    client = await db(logged_in)(world.owner)
    for path, shows in (
        (f"/chats/{world.chat.pk}/", ["title", "user", "assistant", "detail", "message"]),
        ("/chats/", ["title", "provider", "model"]),
    ):
        response = await db(client.get)(path, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert_inert(response.content.decode(), shows=shows)


@turns_db
async def test_the_socket_snapshot_shows_provider_texts_as_text(hostile_chat: World) -> None:
    world = hostile_chat
    cookie = await db(session_cookie)(world.owner)
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        assert (await communicator.connect())[0]
        snapshot = await communicator.receive_from(timeout=5)
    assert_inert(snapshot, shows=["user", "assistant", "detail", "message"])


def _live_events(seq: int) -> list[tuple[str, dict[str, Any]]]:
    retrying_at = (datetime.now(UTC) + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    return [
        ("status", {"phase": "starting"}),
        ("status", {"phase": "streaming"}),
        ("delta", {"text": hostile("delta")}),
        (
            "retry",
            {
                "attempt": 1,
                "delay_ms": 30_000,
                "retrying_at": retrying_at,
                "not_before": retrying_at,
                "error": hostile("retry"),
                "kind": HOSTILE_KIND,
                "provider": hostile("retry_provider"),
                "status_code": 529,
            },
        ),
        (
            "error",
            {
                "message": hostile("live_message"),
                "kind": HOSTILE_KIND,
                "provider": hostile("live_provider"),
                "retryable": True,
                "status_code": 500,
                "detail": hostile("live_detail"),
            },
        ),
    ]


@turns_db
async def test_live_fragments_show_provider_texts_as_text(hostile_chat: World, layer: Any) -> None:
    world = hostile_chat
    cookie = await db(session_cookie)(world.owner)
    seq = (await db(Chat.objects.get)(pk=world.chat.pk)).event_seq
    frames: list[str] = []
    async with open_socket(f"/ws/chats/{world.chat.pk}/", cookie) as communicator:
        assert (await communicator.connect())[0]
        await communicator.receive_from(timeout=5)
        for offset, (event, data) in enumerate(_live_events(seq), start=1):
            message = {
                "type": "chat.event",
                "chat": world.chat.pk,
                "seq": seq + offset,
                "event": event,
                "attempt": 1,
                "data": data,
            }
            await layer.group_send(chat_group(world.chat.pk), message)
            frames.append(await communicator.receive_from(timeout=5))
    for frame in frames:
        assert_inert(frame)
    assert_inert(frames[2], shows=["delta"])
    assert_inert(frames[3], shows=["retry"])
    assert_inert(frames[4], shows=["live_message", "live_detail"])
    (callout,) = select(parse_html(frames[4]), "[data-callout]")
    # Markup is not a kind: the contract reads it as a generic failure, so it can
    # reach no attribute or text at all (assert_inert above checks the rest).
    assert callout.attrs["data-kind"] == "generic", "a kind that is not a slug is not a kind"


HOSTILE_STORIES = [
    pytest.param(story, id=f"{story.component}-{story.slug}")
    for entry in load_catalogue()
    for story in entry.stories
    if "<" in json.dumps(story.fixture, default=str)
]


@pytest.mark.django_db
@pytest.mark.parametrize("story", HOSTILE_STORIES)
def test_gallery_stories_with_markup_in_their_fixtures_render_it_as_text(
    world: World, story: Any
) -> None:
    client = logged_in(world.staff)
    url = f"/gallery/{story.component}/{story.slug}/"
    for path in (url, url + "?fragment=1"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        root = parse_html(html)
        for node in root.elements():
            assert not [name for name in node.attrs if name.startswith("on")], node.tag
            if node.tag == "script":
                assert "src" in node.attrs, "the only scripts are the page's own files"
        assert "<script>window" not in html and "<script>alert" not in html


def test_the_gallery_has_stories_with_markup() -> None:
    assert len(HOSTILE_STORIES) >= 2, "the gallery documents escaping (message and detail)"
