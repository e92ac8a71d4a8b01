"""The operators' admin: failed chats with their structured errors, providers, retries.

It lives in the web layer (SPEC §2): it renders the same kind pill as the live
UI and changes chats only through ``chatcore.persistence``. Provider API keys
are write-only here: the admin shows whether one is set, never its value.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from chatcore.errors import ErrorKind, kind_label
from chatcore.models import Chat, ChatMessage, ChatRetryEvent, Provider
from chatcore.persistence import clear_chat_error, requeue_last_turn
from chatcore.runner.control import notify_runners

__all__ = ["ChatAdmin", "ChatRetryEventAdmin", "ProviderAdmin", "ProviderForm", "kind_pill"]

logger = logging.getLogger(__name__)


def kind_pill(kind: str) -> SafeString:
    """The humanised kind pill, from the same partial the live UI renders."""
    return SafeString(
        render_to_string("components/kind_pill.html", {"kind": kind, "label": kind_label(kind)})
    )


def _json_block(value: object) -> SafeString:
    """A stored JSON value, pretty-printed and escaped (it holds provider text)."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre class="json-block" data-json-block>{}</pre>', text)


def _wake_runners() -> None:
    """Have a runner claim re-queued turns now; runners also poll, so failure only delays."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(notify_runners)(layer)
    except Exception:
        # A channel layer outage must not fail the admin action: the turn is queued.
        logger.warning("Could not wake the runners; re-queued turns wait for the next poll.")


class _ErrorKindFilter(admin.SimpleListFilter):
    title = "error kind"
    parameter_name = "error_kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(kind.value, kind_label(kind)) for kind in ErrorKind]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(last_error__kind=self.value())
        return queryset


class _RetryableFilter(admin.SimpleListFilter):
    title = "retryable"
    parameter_name = "retryable"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(last_error__retryable=True)
        if self.value() == "no":
            # Errors without the flag (migrated legacy text) are not retryable.
            # (A negated key lookup would drop rows lacking the key on SQLite.)
            flag_false_or_missing = Q(last_error__retryable=False) | Q(
                last_error__retryable__isnull=True
            )
            return queryset.filter(flag_false_or_missing, last_error__isnull=False)
        return queryset


class _HasErrorFilter(admin.SimpleListFilter):
    title = "has error"
    parameter_name = "has_error"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(last_error__isnull=self.value() == "no")
        return queryset


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
        "status_code",
        "delay_ms",
        "chain_broken",
        "retrying_at",
    )

    @admin.display(description="kind")
    def kind_pill(self, event: ChatRetryEvent) -> SafeString:
        return kind_pill(event.kind)


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
    list_filter = ("status", _ErrorKindFilter, "provider", _RetryableFilter, _HasErrorFilter)
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
        (None, {"fields": ("title", "owner", "provider", "model", "status", "updated_at")}),
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
        return error.get("status_code") if error else None

    @admin.display(description="retryable", boolean=True)
    def retryable(self, chat: Chat) -> bool | None:
        error = chat.error
        return bool(error.get("retryable", False)) if error else None

    @admin.display(description="last error")
    def last_error_block(self, chat: Chat) -> SafeString | None:
        return None if chat.last_error is None else _json_block(chat.last_error)

    @admin.display(description="live state")
    def live_state_block(self, chat: Chat) -> SafeString:
        return _json_block(chat.live_state)

    @admin.action(description="Clear error", permissions=["change"])
    def clear_error(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        chats = list(queryset)
        for chat in chats:
            clear_chat_error(chat)
        self.message_user(request, f"Cleared the error of {len(chats)} chat(s).")

    @admin.action(description="Re-queue last turn", permissions=["change"])
    def requeue_last_turn(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        chats = list(queryset)
        queued = sum(requeue_last_turn(chat) for chat in chats)
        if queued:
            _wake_runners()
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
            chat = get_object_or_404(Chat, pk=object_id)
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
        "status_code",
        "delay_ms",
        "chain_broken",
        "retrying_at",
    )
    list_filter = ("kind", "provider", "chain_broken")
    list_select_related = ("chat",)
    search_fields = ("chat__title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="kind")
    def kind_pill(self, event: ChatRetryEvent) -> SafeString:
        return kind_pill(event.kind)


class ProviderForm(forms.ModelForm):  # type: ignore[type-arg]
    """Provider settings with a write-only API key: it can be replaced or cleared, never read."""

    api_key = forms.CharField(
        label="New API key",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; replaces the current key. Leave empty to keep it.",
    )
    clear_api_key = forms.BooleanField(label="Remove the API key", required=False)
    # Declared so a scheme-less URL means https (Django 6's default) without a warning.
    base_url = forms.URLField(
        label="Base URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Provider._meta.get_field("base_url").help_text,
    )
    model_list = forms.CharField(
        label="Models",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Model names offered in the model picker, one per line.",
    )

    class Meta:
        model = Provider
        fields = ("name", "kind", "base_url", "enabled", "default_model", "api_key_env")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_list"].initial = "\n".join(self.instance.model_names)

    def clean_model_list(self) -> list[str]:
        lines = self.cleaned_data.get("model_list", "").splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip()))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("api_key") and data.get("clear_api_key"):
            raise forms.ValidationError("Either enter a new API key or remove it, not both.")
        if data.get("api_key") and data.get("api_key_env"):
            raise forms.ValidationError(
                "Either store an API key or name an environment variable, not both."
            )
        default, names = data.get("default_model", ""), data.get("model_list", [])
        if default and names and default not in names:
            self.add_error("default_model", "The default model must be one of the models.")
        return data

    def save(self, commit: bool = True) -> Provider:
        provider: Provider = super().save(commit=False)
        provider.models = self.cleaned_data["model_list"]
        if self.cleaned_data.get("clear_api_key"):
            provider.clear_api_key()
        elif self.cleaned_data.get("api_key"):
            provider.set_api_key(self.cleaned_data["api_key"])
        elif "api_key_env" in self.changed_data:
            provider.set_api_key_env(self.cleaned_data.get("api_key_env", ""))
        if commit:
            provider.save()
        return provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ProviderForm
    list_display = ("name", "kind", "enabled", "key_status", "default_model", "base_url")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    readonly_fields = ("key_status", "key_id")
    fieldsets = (
        (None, {"fields": ("name", "kind", "base_url", "enabled")}),
        ("Models", {"fields": ("model_list", "default_model")}),
        (
            "API key",
            {"fields": ("key_status", "key_id", "api_key", "clear_api_key", "api_key_env")},
        ),
    )

    @admin.display(description="API key")
    def key_status(self, provider: Provider) -> str:
        return provider.key_status
