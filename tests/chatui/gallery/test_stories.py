"""Every gallery story renders through the live partials and its checks hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatcore.errors import ErrorKind, kind_label
from chatui.gallery import (
    GALLERY_COMPONENTS,
    Story,
    StoryError,
    load_catalogue,
    load_stories_file,
    render_story,
    run_checks,
)
from chatui.gallery.dom import parse_html, select, text_of
from chatui.gallery.stories import stories_path

ALL_STORIES = [story for entry in load_catalogue() for story in entry.stories]


@pytest.mark.parametrize("story", ALL_STORIES, ids=[story.key for story in ALL_STORIES])
def test_story_checks_hold(story: Story) -> None:
    rendered = render_story(story)
    failures = [
        f"{result.check.description}: {result.problem}"
        for result in run_checks(rendered.html, story.checks)
        if not result.passed
    ]
    assert failures == []


def _stories(component: str) -> list[Story]:
    return [story for story in ALL_STORIES if story.component == component]


def _fixtures(component: str, phase: str) -> list[str]:
    return [
        str(story.fixture.get("error", {}).get("kind"))
        for story in _stories(component)
        if story.fixture.get("phase") == phase
    ]


@pytest.mark.parametrize("phase", ["retrying", "failed"])
def test_every_error_kind_has_a_story_in_both_phases(phase: str) -> None:
    assert {str(kind) for kind in ErrorKind} <= set(_fixtures("chat_status_callout", phase))


def test_every_kind_has_a_pill_story_and_an_unknown_one() -> None:
    kinds = {str(story.fixture["kind"]) for story in _stories("kind_pill")}
    assert {str(kind) for kind in ErrorKind} < kinds
    unknown = kinds - {str(kind) for kind in ErrorKind}
    assert all(kind_label(kind) != kind for kind in unknown)


def test_countdown_stories_cover_one_second_a_minute_and_ten_minutes() -> None:
    spans = {float(story.fixture["deadline_in"]) for story in _stories("countdown")}
    assert {1.0, 59.0, 600.0} <= spans
    assert all(story.ticks for story in _stories("countdown"))


def _rendered_text(slug: str) -> tuple[str, str]:
    story = next(story for story in _stories("chat_status_callout") if story.slug == slug)
    html = render_story(story).html
    return html, text_of(parse_html(html))


@pytest.mark.parametrize(
    ("slug", "selector", "present"),
    [
        pytest.param(
            "failed-usage-limit-own-limit", "[data-usage-link]", True, id="own_limit_view_usage"
        ),
        pytest.param(
            "failed-usage-limit-provider-quota",
            "[data-usage-link]",
            False,
            id="provider_quota_no_view_usage",
        ),
        pytest.param(
            "retrying-overloaded-status-page",
            "[data-status-link]",
            True,
            id="overloaded_status_link",
        ),
        pytest.param(
            "failed-without-status-code", "[data-status-code]", False, id="no_chip_without_status"
        ),
        pytest.param("failed-with-status-code", "[data-status-code]", True, id="chip_with_status"),
        pytest.param(
            "failed-generic-monospace",
            "[data-detail].callout-detail--mono",
            True,
            id="generic_monospace",
        ),
        pytest.param(
            "failed-missing-key-composer",
            "[data-composer] textarea",
            True,
            id="missing_key_composer",
        ),
        pytest.param("reconnecting", "[data-countdown]", True, id="reconnecting_countdown"),
        pytest.param("starting-delayed", "[data-stop]", True, id="delayed_start_can_stop"),
    ],
)
def test_required_states_exist(slug: str, selector: str, present: bool) -> None:
    html, _ = _rendered_text(slug)
    assert bool(select(parse_html(html), selector)) is present


def test_required_state_slugs_exist() -> None:
    slugs = {story.slug for story in _stories("chat_status_callout")}
    assert {
        "failed-long-detail",
        "failed-detail-with-html",
        "failed-unknown-future-kind",
        "failed-provider-disabled",
        "starting",
        "starting-delayed",
    } <= slugs


def test_script_in_a_detail_is_text() -> None:
    html, text = _rendered_text("failed-detail-with-html")
    assert "<script>window.__calmchatXss = true</script>" in text
    assert "<script>" not in html


def test_long_detail_is_500_characters() -> None:
    html, _ = _rendered_text("failed-long-detail")
    detail = text_of(select(parse_html(html), "[data-detail]")[0])
    assert len(detail) == 500 and detail.endswith("…")


def test_stories_render_the_servers_prose() -> None:
    from chatcore.errors import ClassifiedError, retry_message

    _, text = _rendered_text("retrying-rate-limit")
    expected = retry_message(ClassifiedError(kind="rate_limit", provider="openai"))
    assert expected in text


def test_every_story_says_what_it_demonstrates_and_checks_something_of_its_own() -> None:
    for entry in load_catalogue():
        assert entry.title and entry.summary
        for story in entry.stories:
            assert story.demonstrates and story.title
            assert story.checks


def test_yaml_lives_beside_each_component_template() -> None:
    for name in GALLERY_COMPONENTS:
        path = stories_path(name)
        assert path.exists() and path.with_suffix(".html").exists()
    folder = stories_path(GALLERY_COMPONENTS[0]).parent
    assert {path.stem for path in folder.glob("*.yaml")} == set(GALLERY_COMPONENTS)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param("stories: [\n", "not valid YAML", id="broken_yaml"),
        pytest.param("- 1\n", "expected a mapping", id="not_a_mapping"),
        pytest.param(
            "component: other\ntitle: T\nsummary: S\nstories: []\n",
            "must be 'sample'",
            id="wrong_component",
        ),
        pytest.param(
            "component: sample\ntitle: T\nsummary: S\nstories:\n - {slug: Bad Slug, title: t, demonstrates: d, checks: [{exists: a}]}\n",
            "slug",
            id="bad_slug",
        ),
        pytest.param(
            "component: sample\ntitle: T\nsummary: S\nstories:\n - {slug: a, title: t, demonstrates: d, checks: [{exists: a}]}\n - {slug: a, title: t, demonstrates: d, checks: [{exists: a}]}\n",
            "unique",
            id="duplicate_slug",
        ),
        pytest.param(
            "component: sample\ntitle: T\nsummary: S\nstories:\n - {slug: a, title: t, checks: [{exists: a}]}\n",
            "demonstrates",
            id="missing_demonstrates",
        ),
        pytest.param(
            "component: sample\ntitle: T\nsummary: S\nstories:\n - {slug: a, title: t, demonstrates: d}\n",
            "at least one check",
            id="story_without_checks",
        ),
        pytest.param(
            "component: sample\ntitle: T\nsummary: S\nstories:\n - {slug: a, title: t, demonstrates: d, checks: [{glows: a}]}\n",
            "unknown check",
            id="unknown_check",
        ),
    ],
)
def test_malformed_stories_files_are_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "sample.yaml"
    path.write_text(text)
    with pytest.raises(StoryError, match=error):
        load_stories_file(path)
