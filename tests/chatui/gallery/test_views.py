"""The gallery pages: who may see them, and that they render every story."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.test import Client

from chatui.gallery import load_catalogue
from chatui.gallery.dom import parse_html, select, text_of

pytestmark = pytest.mark.django_db

ALL_STORIES = [story for entry in load_catalogue() for story in entry.stories]
FIRST = ALL_STORIES[0]


def _story_url(component: str, slug: str) -> str:
    return f"/gallery/{component}/{slug}/"


@pytest.fixture
def staff_client(django_user_model: Any) -> Client:
    user = django_user_model.objects.create_user("curator", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def user_client(django_user_model: Any) -> Client:
    user = django_user_model.objects.create_user("someone", password="pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/gallery/", _story_url(FIRST.component, FIRST.slug)])
def test_anonymous_gets_404_outside_debug(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/gallery/", _story_url(FIRST.component, FIRST.slug)])
def test_signed_in_non_staff_gets_404(user_client: Client, url: str) -> None:
    assert user_client.get(url).status_code == 404


def test_inactive_staff_gets_404(staff_client: Client, django_user_model: Any) -> None:
    django_user_model.objects.filter(username="curator").update(is_active=False)
    assert staff_client.get("/gallery/").status_code == 404


@pytest.mark.parametrize("url", ["/gallery/", _story_url(FIRST.component, FIRST.slug)])
def test_anyone_may_browse_in_debug(client: Client, settings: Any, url: str) -> None:
    settings.DEBUG = True
    assert client.get(url).status_code == 200


def test_index_links_every_story(staff_client: Client) -> None:
    response = staff_client.get("/gallery/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    root = parse_html(response.content.decode())
    links = {node.attrs["href"] for node in select(root, "a[data-story-link]")}
    assert links == {_story_url(s.component, s.slug) for s in ALL_STORIES}


@pytest.mark.parametrize("story", ALL_STORIES, ids=[story.key for story in ALL_STORIES])
def test_story_page_renders_the_component_and_its_checks(staff_client: Client, story: Any) -> None:
    response = staff_client.get(_story_url(story.component, story.slug))
    assert response.status_code == 200
    root = parse_html(response.content.decode())
    canvas = select(root, "[data-gallery-canvas]")
    assert len(canvas) == 1 and canvas[0].children
    assert text_of(select(root, "[data-story-demonstrates]")[0]) == story.demonstrates
    checks = select(root, "[data-story-checks] [data-check]")
    assert len(checks) == len(story.checks)
    assert {node.attrs["data-check-passed"] for node in checks} == {"true"}
    assert ("data-story-ticks" in canvas[0].attrs) is story.ticks


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/gallery/chat_status_callout/no-such-story/", id="unknown_story"),
        pytest.param("/gallery/no_such_component/retrying-overloaded/", id="unknown_component"),
        pytest.param("/gallery/base/x/", id="not_a_component"),
    ],
)
def test_unknown_stories_are_404(staff_client: Client, url: str) -> None:
    assert staff_client.get(url).status_code == 404


def test_fragment_is_just_the_component(staff_client: Client) -> None:
    response = staff_client.get("/gallery/chat_status_callout/retrying-rate-limit/?fragment=1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    root = parse_html(html)
    assert select(root, '[data-callout][data-phase="retrying"]')
    assert not select(root, "[data-story-checks]")


def test_a_failing_check_is_shown_as_failing(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatui.gallery import checks, views

    story = ALL_STORIES[0]
    broken = dataclasses.replace(
        story, checks=(checks.parse_check({"exists": "[data-not-there]"}),)
    )
    monkeypatch.setattr(views, "find_story", lambda component, slug: broken)
    root = parse_html(staff_client.get(_story_url(story.component, story.slug)).content.decode())
    (check,) = select(root, "[data-check]")
    assert check.attrs["data-check-passed"] == "false"
    assert "nothing matches [data-not-there]" in text_of(check)
