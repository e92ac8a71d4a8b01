"""Chats for operators: failed chats with their structured errors, retries, and actions."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from chatcore.chats import ChatService
from chatcore.models import Chat, ChatMessage, ChatRetryEvent
from chatui.admin.filters import ErrorKindFilter, HasErrorFilter, RetryableFilter, RetryKindFilter
from chatui.admin.rendering import http_status, json_block, kind_pill, yes_no

__all__ = ["ChatAdmin", "ChatRetryEventAdmin"]


def _chats() -> ChatService:
    return ChatService(get_channel_layer())


class _ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ChatMessageInline(_ReadOnlyInline):
    model = ChatMessage
    fields = readonly_fields = (
        "created_at",
        "role",
        "text",
        "model",
        "provider_response_id",
        "input_tokens",
        "output_tokens",
        "client_request_id",
    )


class _ChatRetryEventInline(_ReadOnlyInline):
    model = ChatRetryEvent
    fields = readonly_fields = (
        "created_at",
        "attempt",
        "kind_pill",
        "provider",
        "model",
        "to_model",
        "reason",
        "http_status",
        "delay_ms",
        "chain_broken",
        "retrying_at",
    )

    @admin.display(description="kind")
    def kind_pill(self, event: ChatRetryEvent) -> SafeString:
        return kind_pill(event.kind)

    @admin.display(description="HTTP status")
    def http_status(self, event: ChatRetryEvent) -> int | None:
        return http_status(event.status_code)


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "__str__",
        "owner",
        "status",
        "error_kind",
        "provider",
        "http_status",
        "retryable",
        "updated_at",
    )
    list_filter = ("status", ErrorKindFilter, "provider", RetryableFilter, HasErrorFilter)
    search_fields = (
        "title",
        "owner__username",
        "owner__email",
        "last_error__message",
        "last_error__detail",
    )
    list_select_related = ("owner", "provider")
    actions = ("clear_error", "requeue_last_turn")
    inlines = (_ChatMessageInline, _ChatRetryEventInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "owner",
                    "provider",
                    "model",
                    "system_prompt",
                    "allow_fallback",
                    "status",
                    "updated_at",
                )
            },
        ),
        ("Last error", {"fields": ("error_kind", "last_error_block")}),
        (
            "Runner state",
            {
                "classes": ("collapse",),
                "fields": (
                    "previous_response_id",
                    "chain_mode",
                    "api_key_ref",
                    "lease_owner",
                    "lease_expires_at",
                    "event_seq",
                    "live_state_block",
                    "stop_requested",
                    "retry_now_requested_at",
                    "created_at",
                ),
            },
        ),
    )
    readonly_fields = (
        "owner",
        "provider",
        "model",
        "system_prompt",
        "allow_fallback",
        "status",
        "updated_at",
        "error_kind",
        "last_error_block",
        "previous_response_id",
        "chain_mode",
        "api_key_ref",
        "lease_owner",
        "lease_expires_at",
        "event_seq",
        "live_state_block",
        "stop_requested",
        "retry_now_requested_at",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Chats are created by their owners in the app, not by operators.
        return False

    @admin.display(description="error kind")
    def error_kind(self, chat: Chat) -> SafeString | None:
        return kind_pill(chat.error_kind) if chat.error else None

    @admin.display(description="HTTP status")
    def http_status(self, chat: Chat) -> int | None:
        error = chat.error
        return http_status(error.status_code) if error else None

    @admin.display(description="retryable", empty_value="")
    def retryable(self, chat: Chat) -> str | None:
        # Blank for a chat without an error: there is nothing to retry, not an unknown.
        error = chat.error
        return yes_no(bool(error.retryable)) if error else None

    @admin.display(description="last error")
    def last_error_block(self, chat: Chat) -> SafeString | None:
        return None if chat.last_error is None else json_block(chat.last_error)

    @admin.display(description="live state")
    def live_state_block(self, chat: Chat) -> SafeString:
        return json_block(chat.live_state)

    @admin.action(description="Clear error", permissions=["change"])
    def clear_error(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        chats = list(queryset)
        service = _chats()
        for chat in chats:
            async_to_sync(service.clear_error)(chat)
        self.message_user(request, f"Cleared the error of {len(chats)} chat(s).")

    @admin.action(description="Re-queue last turn", permissions=["change"])
    def requeue_last_turn(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        chats = list(queryset)
        service = _chats()
        queued = sum(async_to_sync(service.requeue)(chat) for chat in chats)
        self.message_user(request, f"Re-queued {queued} chat(s).")
        if queued < len(chats):
            self.message_user(
                request,
                f"{len(chats) - queued} chat(s) not re-queued: a turn is already queued or "
                "running, or the last message is not the user's.",
                level=messages.WARNING,
            )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/clear-error/",
                self.admin_site.admin_view(self._clear_error_view),
                name="chatcore_chat_clear_error",
            ),
            path(
                "<path:object_id>/requeue/",
                self.admin_site.admin_view(self._requeue_view),
                name="chatcore_chat_requeue",
            ),
        ]
        return own + super().get_urls()

    def _clear_error_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._object_action(request, object_id, self.clear_error)

    def _requeue_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._object_action(request, object_id, self.requeue_last_turn)

    def _object_action(self, request: HttpRequest, object_id: str, action: Any) -> HttpResponse:
        """Run a list action on one chat from its page's buttons (POST, change permission)."""

        @require_POST
        def run(request: HttpRequest) -> HttpResponse:
            # get_object: an id that is no chat id at all ("..", "abc") is a 404 too.
            chat = self.get_object(request, unquote(object_id))
            if chat is None:
                raise Http404("no such chat")
            if not self.has_change_permission(request, chat):
                return HttpResponse(status=403)
            action(request, Chat.objects.filter(pk=chat.pk))
            return HttpResponseRedirect(reverse("admin:chatcore_chat_change", args=[chat.pk]))

        return run(request)


@admin.register(ChatRetryEvent)
class ChatRetryEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every published retry across chats, read-only, for spotting a struggling provider."""

    list_display = (
        "created_at",
        "chat",
        "attempt",
        "kind_pill",
        "provider",
        "model",
        "to_model",
        "reason",
        "http_status",
        "delay_ms",
        "chain_broken",
        "retrying_at",
    )
    list_filter = (RetryKindFilter, "provider", "model", "reason", "chain_broken")
    list_select_related = ("chat",)
    search_fields = ("chat__title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="kind")
    def kind_pill(self, event: ChatRetryEvent) -> SafeString:
        return kind_pill(event.kind)

    @admin.display(description="HTTP status", ordering="status_code")
    def http_status(self, event: ChatRetryEvent) -> int | None:
        return http_status(event.status_code)
