"""Providers for operators, with a write-only API key: replaced or cleared, never shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from chatcore.models import Provider

__all__ = ["ProviderAdmin", "ProviderForm"]


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
