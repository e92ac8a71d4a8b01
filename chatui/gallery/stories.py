"""Loading the gallery's stories from the YAML beside each component template.

`templates/components/<name>.yaml` sits next to `<name>.html` (the
django-pattern-library habit) and lists that component's stories: a slug, a
title, one line on what the story demonstrates, the fixture it renders from and
the checks that must hold. See docs/gallery.md for the format.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.template.loader import get_template

from chatui.gallery.checks import Check, parse_check

__all__ = [
    "GALLERY_COMPONENTS",
    "ComponentStories",
    "Story",
    "StoryError",
    "find_story",
    "load_catalogue",
    "load_stories_file",
    "stories_path",
]

# The components the gallery documents, in the order the index lists them.
GALLERY_COMPONENTS: tuple[str, ...] = (
    "chat_status_callout",
    "kind_pill",
    "countdown",
    "message",
    "transcript",
    "composer",
    "notice",
    "sidebar_item",
    "provider_status",
)

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class StoryError(ValueError):
    """A stories file that does not follow the format."""


@dataclass(frozen=True, slots=True)
class Story:
    """One state of one component."""

    component: str
    slug: str
    title: str
    demonstrates: str
    fixture: Mapping[str, Any]
    checks: tuple[Check, ...]
    ticks: bool = False  # the browser proof watches its countdown tick

    @property
    def key(self) -> str:
        return f"{self.component}/{self.slug}"


@dataclass(frozen=True, slots=True)
class ComponentStories:
    name: str
    title: str
    summary: str
    stories: tuple[Story, ...]


def stories_path(component: str) -> Path:
    """The YAML beside the component's template, found through the template loader."""
    template = get_template(f"components/{component}.html")
    origin = template.template.origin.name  # type: ignore[attr-defined]
    return Path(str(origin)).with_suffix(".yaml")


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise StoryError(f"{where}: `{key}` must be a non-empty string")
    return value.strip()


def _checks(raw: object, where: str) -> tuple[Check, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise StoryError(f"{where}: `checks` must be a list")
    try:
        return tuple(parse_check(item) for item in raw)
    except ValueError as exc:
        raise StoryError(f"{where}: {exc}") from exc


def load_stories_file(path: Path) -> ComponentStories:
    """One component's stories; StoryError names the file and story when malformed."""
    return _load(path, path.stat().st_mtime)


@functools.lru_cache(maxsize=32)
def _load(path: Path, _mtime: float) -> ComponentStories:
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise StoryError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping) or not isinstance(raw.get("stories"), list):
        raise StoryError(f"{where}: expected a mapping with a `stories` list")
    name = _text(raw, "component", where)
    if path.stem != name:
        raise StoryError(f"{where}: `component` must be {path.stem!r}")
    shared = _checks(raw.get("checks"), where)
    stories: list[Story] = []
    for index, item in enumerate(raw["stories"]):
        spot = f"{where} story {index + 1}"
        if not isinstance(item, Mapping):
            raise StoryError(f"{spot}: a story is a mapping")
        slug = _text(item, "slug", spot)
        if not _SLUG.match(slug) or any(story.slug == slug for story in stories):
            raise StoryError(f"{spot}: slug {slug!r} is not a unique lower-case-dashed slug")
        fixture = item.get("fixture") or {}
        if not isinstance(fixture, Mapping):
            raise StoryError(f"{spot}: `fixture` must be a mapping")
        own = _checks(item.get("checks"), spot)
        if not own:
            raise StoryError(f"{spot}: every story states at least one check of its own")
        stories.append(
            Story(
                component=name,
                slug=slug,
                title=_text(item, "title", spot),
                demonstrates=_text(item, "demonstrates", spot),
                fixture=dict(fixture),
                checks=own + shared,
                ticks=bool(item.get("ticks", False)),
            )
        )
    return ComponentStories(
        name=name,
        title=_text(raw, "title", where),
        summary=_text(raw, "summary", where),
        stories=tuple(stories),
    )


def load_catalogue() -> tuple[ComponentStories, ...]:
    """Every documented component with its stories (reloaded when a file changes)."""
    return tuple(load_stories_file(stories_path(name)) for name in GALLERY_COMPONENTS)


def find_story(component: str, slug: str) -> Story:
    """The story by component and slug; KeyError when there is none."""
    for entry in load_catalogue():
        if entry.name == component:
            for story in entry.stories:
                if story.slug == slug:
                    return story
    raise KeyError(f"{component}/{slug}")
