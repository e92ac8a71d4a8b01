"""Providers for operators, with a write-only API key: replaced or cleared, never shown.

A staff user who may edit providers is trusted with their keys: whoever sets
the base URL decides where the key is sent. The form still refuses what would
send a key somewhere by accident: a key variable the allow-list refuses
(``chatcore.keys.key_variable_allowed``; never one of this application's own
secrets), and a new base URL or kind (where the key goes) for a provider whose
key is set, unless the key is entered again or the change is confirmed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from chatcore.chats import offered_models
from chatcore.keys import NEVER_KEY_VARIABLES, key_variable_allowed
from chatcore.models import ModelFallback, Provider

__all__ = ["ModelFallbackFormSet", "ModelFallbackInline", "ProviderAdmin", "ProviderForm"]


class ProviderForm(forms.ModelForm):  # type: ignore[type-arg]
    """Provider settings with a write-only API key: it can be replaced or cleared, never read."""

    api_key = forms.CharField(
        label="New API key",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; replaces the current key. Leave empty to keep it.",
    )
    clear_api_key = forms.BooleanField(label="Remove the API key", required=False)
    confirm_key_destination = forms.BooleanField(
        label="Send the current API key to the new base URL",
        required=False,
        help_text="Needed when the base URL or kind of a provider with a key changes, "
        "unless the key is entered again.",
    )
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
        help_texts = {
            "api_key_env": (
                "Read the key from this environment variable instead of storing it: a name "
                "ending in _API_KEY or starting with CHAT_PROVIDER_KEY_ (the setting "
                "CHAT_PROVIDER_KEY_ENV), never one of this server's own secrets."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_list"].initial = "\n".join(self.instance.model_names)

    def clean_model_list(self) -> list[str]:
        lines = self.cleaned_data.get("model_list", "").splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip()))

    def clean_api_key_env(self) -> str:
        name = str(self.cleaned_data.get("api_key_env") or "").strip()
        if name and not key_variable_allowed(name):
            own = ", ".join(sorted(NEVER_KEY_VARIABLES))
            raise forms.ValidationError(
                f"{name} cannot hold a provider key: use a variable whose name ends in "
                "_API_KEY or starts with CHAT_PROVIDER_KEY_ (or as CHAT_PROVIDER_KEY_ENV "
                f"allows). This server's own secrets ({own}) are never allowed."
            )
        return name

    def _key_goes_elsewhere(self, data: dict[str, Any]) -> bool:
        """The key already set would now be sent to another address, unconfirmed."""
        stored = self.instance
        had_key = bool(stored.pk and (stored.api_key_encrypted or stored.api_key_env))
        moved = "base_url" in self.changed_data or "kind" in self.changed_data
        key_given_again = bool(
            data.get("api_key") or data.get("clear_api_key") or "api_key_env" in self.changed_data
        )
        return had_key and moved and not key_given_again and not data.get("confirm_key_destination")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self._key_goes_elsewhere(data):
            self.add_error(
                "base_url",
                "This provider's API key would be sent to the new address. Enter the key "
                "again, or tick “Send the current API key to the new base URL”.",
            )
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


class ModelFallbackFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Each fallback names two different models of this provider.

    Checked against the models the provider form is saving (the inline is validated
    with the provider as edited), so a model added in the same save can be used.
    """

    def clean(self) -> None:
        super().clean()
        offered = offered_models(self.instance)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            model, to_model = data.get("model", ""), data.get("to_model", "")
            for field, name in (("model", model), ("to_model", to_model)):
                if name and name not in offered:
                    form.add_error(field, f"“{name}” is not one of this provider's models.")
            if model and model == to_model:
                form.add_error("to_model", "A model cannot fall back to itself.")


class ModelFallbackInline(admin.TabularInline):  # type: ignore[type-arg]
    """The ordered fallback list of each model (none by default): which model of this
    provider a turn switches to, and on which failures."""

    model = ModelFallback
    formset = ModelFallbackFormSet
    extra = 0
    fields = (
        "model",
        "position",
        "to_model",
        "after_attempts",
        "on_overloaded",
        "on_context_length",
        "on_rate_limit",
    )
    form = forms.modelform_factory(
        ModelFallback,
        fields=fields,
        # Narrow enough that the row fits the admin's content column.
        widgets={name: forms.TextInput(attrs={"size": 24}) for name in ("model", "to_model")},
        help_texts={
            "model": "A model of this provider that chats use.",
            "position": "The order of this model's fallbacks: the lowest that applies wins.",
            "to_model": "Another model of this provider; the next attempt runs on it.",
            "after_attempts": "Attempts on the model before an overload or a rate limit "
            "switches (an open breaker and a too-long conversation switch at once).",
            "on_overloaded": "Switch when the model is overloaded or its breaker is open.",
            "on_context_length": "Switch when the conversation is too long for the model.",
            "on_rate_limit": "Switch on a rate limit too (it often holds the whole key).",
        },
    )
    verbose_name = "model fallback"
    verbose_name_plural = "Model fallbacks (none by default; each chat can turn them off)"


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ProviderForm
    inlines = (ModelFallbackInline,)
    list_display = ("name", "kind", "enabled", "key_status", "default_model", "base_url")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    readonly_fields = ("key_status", "key_id")
    fieldsets = (
        (None, {"fields": ("name", "kind", "base_url", "enabled")}),
        ("Models", {"fields": ("model_list", "default_model")}),
        (
            "API key",
            {
                "fields": (
                    "key_status",
                    "key_id",
                    "api_key",
                    "clear_api_key",
                    "api_key_env",
                    "confirm_key_destination",
                )
            },
        ),
    )

    @admin.display(description="API key")
    def key_status(self, provider: Provider) -> str:
        return provider.key_status
