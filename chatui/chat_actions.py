"""The app shell's own requests: the sidebar's list and search, rename, delete, chat settings.

Each goes through the chats service (``ChatService``), like the socket and the
JSON API, so every open page of the user hears of the change over its socket.
Owner-only: another user's chat answers 404, like a missing one. Answers are
the fragments htmx merges (``hx-swap="none"``: only out-of-band parts, the
sidebar's inbox or the notice), or a redirect for a plain form post.
"""

from __future__ import annotations

import contextlib

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from chatcore.chats import (
    ChatService,
    SettingsRefused,
    recent_chats,
    search_chats,
    summary_of,
)
from chatcore.models import Chat
from chatui import live
from chatui.chat_settings import parse_model_choice
from chatui.sidebar import list_context, render_removed, render_upserts, search_context

__all__ = ["chat_delete", "chat_rename", "chat_settings", "chat_sidebar"]


def _current(request: HttpRequest) -> int:
    raw = request.GET.get("current") or request.POST.get("current") or ""
    return int(raw) if raw.isascii() and raw.isdigit() else 0


def _owned(request: HttpRequest, chat_id: int) -> Chat:
    return get_object_or_404(
        Chat.objects.for_owner(request.user).select_related("provider"), pk=chat_id
    )


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _chats() -> ChatService:
    return ChatService(get_channel_layer())


@login_required
@require_GET
@vary_on_headers("HX-Request")
def chat_sidebar(request: HttpRequest) -> HttpResponse:
    """The sidebar's list: the recent chats, or those matching ``q`` (title or message)."""
    owner = int(request.user.pk or 0)
    query = request.GET.get("q", "").strip()[:200]
    current = _current(request)
    if query:
        context = search_context(search_chats(owner, query), query, current=current)
    else:
        context = list_context(recent_chats(owner), current=current)
    return render(request, "chats/_sidebar_list.html", context)


@login_required
@require_POST
def chat_rename(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Rename; the answer is the renamed entry for the sidebar's inbox (the unchanged one
    when the title is refused: the entry then shows its title again)."""
    chat = _owned(request, chat_id)
    with contextlib.suppress(SettingsRefused):
        async_to_sync(_chats().rename)(chat.pk, request.POST.get("title", ""))
    if not _htmx(request):
        return redirect("chat_detail", chat_id=chat.pk)
    chat.refresh_from_db()
    return HttpResponse(render_upserts([summary_of(chat)], current=_current(request)))


@login_required
@require_POST
def chat_delete(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Delete for good (a running turn is stopped first). The page showing the chat goes
    to a new chat; any other page only drops its entry."""
    chat = _owned(request, chat_id)
    async_to_sync(_chats().delete)(chat.pk)
    if not _htmx(request):
        return redirect("chat_new")
    if _current(request) == chat_id:
        return HttpResponseClientRedirect("/chats/new/")
    return HttpResponse(render_removed(chat_id))


@login_required
@require_POST
def chat_settings(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Switch the next turn's model (``model``: a picker value), save the system prompt
    (``system_prompt``) or allow model fallbacks (``allow_fallback``: its last value, "on"
    or not); the answer is the notice that says what changed, or why not."""
    chat = _owned(request, chat_id)
    notice: SafeString
    try:
        notice = _apply_settings(request, chat)
    except SettingsRefused as refused:
        notice = live.render_notice("settings_refused", oob=True, reason=refused.reason)
    if not _htmx(request):
        return redirect("chat_detail", chat_id=chat.pk)
    return HttpResponse(notice)


def _apply_settings(request: HttpRequest, chat: Chat) -> SafeString:
    if "model" in request.POST:
        choice = parse_model_choice(request.POST["model"])
        if choice is None:
            raise SettingsRefused("choose one of the models offered.")
        provider, model = choice
        updated = async_to_sync(_chats().update_settings)(chat.pk, provider=provider, model=model)
        return live.render_notice("model_switched", oob=True, model=updated.model)
    if "allow_fallback" in request.POST:
        # The form sends a hidden "off" before the checkbox: the last value is the choice.
        allow = request.POST.getlist("allow_fallback")[-1] == "on"
        updated = async_to_sync(_chats().update_settings)(chat.pk, allow_fallback=allow)
        code = "fallback_on" if updated.allow_fallback else "fallback_off"
        return live.render_notice(code, oob=True)
    prompt = request.POST.get("system_prompt", "")
    async_to_sync(_chats().update_settings)(chat.pk, system_prompt=prompt)
    return live.render_notice("settings_saved", oob=True)
