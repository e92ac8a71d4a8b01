"""Gallery pages: an index and one page per component state."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from chatui.gallery.checks import run_checks
from chatui.gallery.fixtures import render_story
from chatui.gallery.stories import find_story, load_catalogue

__all__ = ["index", "story"]


def _require_access(request: HttpRequest) -> None:
    """DEBUG, or a staff user; everyone else gets the same 404 as a missing page."""
    if settings.DEBUG:
        return
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff:
        return
    raise Http404("No such page")


def _noindex(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def index(request: HttpRequest) -> HttpResponse:
    _require_access(request)
    catalogue = load_catalogue()
    total = sum(len(entry.stories) for entry in catalogue)
    return _noindex(render(request, "gallery/index.html", {"catalogue": catalogue, "total": total}))


@never_cache
def story(request: HttpRequest, component: str, slug: str) -> HttpResponse:
    _require_access(request)
    try:
        found = find_story(component, slug)
    except KeyError:
        raise Http404("No such story") from None
    rendered = render_story(found)
    if request.GET.get("fragment") == "1":
        # Just the component markup, as a websocket fragment would carry it.
        return _noindex(HttpResponse(rendered.html))
    siblings = next(entry.stories for entry in load_catalogue() if entry.name == component)
    position = [sibling.slug for sibling in siblings].index(found.slug)
    context = {
        "story": found,
        "rendered": rendered.html,
        "results": run_checks(rendered.html, found.checks),
        "payloads": json.dumps(list(rendered.payloads), indent=2, ensure_ascii=False),
        "previous": siblings[position - 1] if position > 0 else None,
        "next": siblings[position + 1] if position + 1 < len(siblings) else None,
    }
    return _noindex(render(request, "gallery/story.html", context))
