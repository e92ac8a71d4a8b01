"""Pages and small JSON endpoints of the web layer.

The chat pages render from the same view state and partials as the chat's
websocket (``chatui.live``), so the first paint and every later fragment agree.
Views answer htmx requests (``request.htmx``) with the partial only, and say
so with ``Vary: HX-Request`` so that no cache hands one answer to the other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from chatcore.chats import (
    MAX_SYSTEM_PROMPT_CHARS,
    ChatService,
    SendOutcome,
    display_title,
    recent_chats,
    turns_used_today,
    validate_message,
)
from chatcore.contract import format_utc
from chatcore.models import Chat
from chatcore.runner.snapshot import database_snapshot, release_channel
from chatui import live
from chatui.chat_settings import model_groups
from chatui.forms import NewChatForm
from chatui.provider_status import HealthWatch
from chatui.sidebar import list_context

__all__ = [
    "LoginView",
    "chat_detail",
    "chat_header_context",
    "chat_list",
    "chat_new",
    "healthz",
    "home",
    "shell_context",
    "usage",
]

log = logging.getLogger(__name__)

_CHECK_TIMEOUT = 3.0


class _Request(HttpRequest):
    """A request that went through ``HtmxMiddleware`` (for type checking)."""

    htmx: HtmxDetails


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat_list")
    return render(request, "home.html")


class LoginView(auth_views.LoginView):
    """Django's login; in demo mode the page names the demo account."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo"] = settings.DEMO
        return context


def shell_context(request: HttpRequest, *, current_chat: int = 0) -> dict[str, Any]:
    """What the app shell needs: the sidebar of the user's chats (``current_chat`` is the
    open one), and when it was read, so the page's socket sends what changed since."""
    since = format_utc(timezone.now())  # before reading: nothing falls in between
    summaries = recent_chats(int(request.user.pk or 0))
    return {
        "sidebar": list_context(summaries, current=current_chat),
        "current_chat": current_chat,
        "sidebar_socket": not current_chat,
        "sidebar_since": since,
    }


def _start_page(request: _Request, form: NewChatForm) -> HttpResponse:
    # The picker's provider status lines; the sidebar socket (?health=1) keeps them live.
    context = {
        "form": form,
        "provider_statuses": HealthWatch.for_picker().statuses(),
        **shell_context(request),
        "sidebar_health": True,
    }
    return render(request, "chats/new.html", context)


@login_required
@vary_on_headers("HX-Request")
def chat_list(request: _Request) -> HttpResponse:
    """The app's home: the sidebar of chats beside a new chat's start page."""
    return _start_page(request, NewChatForm())


@login_required
@vary_on_headers("HX-Request")
def chat_new(request: _Request) -> HttpResponse:
    if request.method == "POST":
        form = NewChatForm(request.POST)
        if form.is_valid():
            chat = _start_chat(request, form)
            if chat is not None:
                return redirect("chat_detail", chat_id=chat.pk)
    else:
        form = NewChatForm(initial={"provider": request.GET.get("provider")})
        if request.htmx:
            # The provider picker changed: only the model field follows it.
            return render(request, "chats/_model_field.html", {"form": form})
    return _start_page(request, form)


def _start_chat(request: _Request, form: NewChatForm) -> Chat | None:
    """The new chat with its first message queued; None when a limit of the user's refused
    that message (the form then says why and keeps the text, and no empty chat is left)."""
    data = form.cleaned_data
    chats = ChatService(get_channel_layer())
    chat = async_to_sync(chats.create)(
        owner=request.user,  # type: ignore[arg-type]
        provider=data["provider"],
        model=data["model"],
        title=data["title"].strip(),
        system_prompt=data["system_prompt"].strip(),
    )
    content = data["content"].strip()
    if not content:
        return chat
    result = async_to_sync(chats.send)(chat.pk, validate_message(content))
    if result.outcome is SendOutcome.ACCEPTED:
        return chat
    async_to_sync(chats.delete)(chat.pk)
    form.add_error(None, result.error.message if result.error else "The message was not sent.")
    return None


@login_required
@vary_on_headers("HX-Request")
def chat_detail(request: _Request, chat_id: int) -> HttpResponse:
    # Another user's chat is indistinguishable from a missing one.
    chat = get_object_or_404(
        Chat.objects.for_owner(request.user).select_related("provider"), pk=chat_id
    )
    snapshot = database_snapshot(chat.pk)
    view = live.ChatView.from_snapshot(snapshot)
    context = {
        **shell_context(request, current_chat=chat.pk),
        **chat_header_context(chat),
        "provider_statuses": HealthWatch.for_chat(chat.provider_id, chat.model).statuses(),
        "transcript": live.render_transcript(view, snapshot["messages"]),
        "region": view.region(),
        "notice": live.render_notice(),
        "composer": {"ready": False, "ws_send": True, "controls": live.render_controls(view)},
    }
    template = "chats/_chat.html" if request.htmx else "chats/detail.html"
    return render(request, template, context)


def chat_header_context(chat: Chat) -> dict[str, Any]:
    """The chat header's title, model picker and system prompt (also the socket's fragments)."""
    return {
        "chat": chat,
        "title": display_title(chat.title),
        "model_groups": model_groups(chat),
        "system_prompt_limit": MAX_SYSTEM_PROMPT_CHARS,
    }


@login_required
def usage(request: _Request) -> HttpResponse:
    now = timezone.now()
    used = turns_used_today(int(request.user.pk or 0), now)
    limit = settings.CHAT_TURNS_PER_DAY
    context = {
        "used": used,
        "limit": limit,
        "remaining": max(0, limit - used) if limit > 0 else None,
        "resets_at": now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1),
    }
    return render(request, "usage.html", {**context, **shell_context(request)})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # A round trip through this process's own subscriber: under Redis it proves
    # both publishing and the process's delivery path work.
    channel = await layer.new_channel()
    try:
        await layer.send(channel, {"type": "healthz.ping"})
    except Exception:
        await release_channel(layer, channel)
        raise
    message = await layer.receive(channel)  # a timeout cancels it, which releases it
    # Probes come every few seconds; each channel would otherwise stay subscribed.
    await release_channel(layer, channel)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("channel layer returned an unexpected message")


async def _timed(name: str, check: object) -> tuple[str, dict[str, object]]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check, timeout=_CHECK_TIMEOUT)  # type: ignore[arg-type]
    except Exception as exc:  # a health check reports failures, it does not raise them
        log.warning("healthz: %s check failed: %s", name, type(exc).__name__)
        return name, {"status": "error", "error": type(exc).__name__}
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return name, {"status": "ok", "ms": elapsed_ms}


async def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: the database and the channel layer answer."""
    results = dict(
        await asyncio.gather(
            _timed("database", sync_to_async(_check_database, thread_sensitive=True)()),
            _timed("channel_layer", _check_channel_layer()),
        )
    )
    healthy = all(check["status"] == "ok" for check in results.values())
    body = {"status": "ok" if healthy else "error", "checks": results}
    return JsonResponse(body, status=200 if healthy else 503)
