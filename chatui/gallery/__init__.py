"""The component gallery: every state of every chat component, from fixtures.

Stories live beside the templates (`templates/components/<name>.yaml`), render
through the same partials the live page uses, and carry checks that the test
suite runs. Served at /gallery/ in DEBUG, or to staff users; 404 otherwise.
"""

from __future__ import annotations

from chatui.gallery.checks import Check, CheckResult, run_checks
from chatui.gallery.fixtures import Rendered, build_payload, render_story
from chatui.gallery.stories import (
    GALLERY_COMPONENTS,
    ComponentStories,
    Story,
    StoryError,
    find_story,
    load_catalogue,
    load_stories_file,
)

__all__ = [
    "GALLERY_COMPONENTS",
    "Check",
    "CheckResult",
    "ComponentStories",
    "Rendered",
    "Story",
    "StoryError",
    "build_payload",
    "find_story",
    "load_catalogue",
    "load_stories_file",
    "render_story",
    "run_checks",
]
