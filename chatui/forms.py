"""Forms of the chat pages."""

from __future__ import annotations

from typing import Any

from django import forms

from chatcore.chats import MAX_MESSAGE_CHARS, MAX_SYSTEM_PROMPT_CHARS
from chatcore.models import Provider

__all__ = ["NewChatForm"]


class NewChatForm(forms.Form):
    """Start a chat: an enabled provider, one of its models, an optional title and system
    prompt, and (optionally) the first message, sent as soon as the chat exists.

    The model choices are the selected provider's (``Provider.model_names``),
    so a model from another provider does not validate.
    """

    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), empty_label=None)
    model = forms.ChoiceField(choices=())
    title = forms.CharField(max_length=200, required=False)
    system_prompt = forms.CharField(
        max_length=MAX_SYSTEM_PROMPT_CHARS, required=False, widget=forms.Textarea
    )
    content = forms.CharField(max_length=MAX_MESSAGE_CHARS, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        providers = Provider.objects.enabled()
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ModelChoiceField)
        provider_field.queryset = providers
        self.selected_provider = self._selected(providers)
        models = self.selected_provider.model_names if self.selected_provider else []
        if not models and self.selected_provider and self.selected_provider.default_model:
            models = [self.selected_provider.default_model]
        model_field = self.fields["model"]
        assert isinstance(model_field, forms.ChoiceField)
        model_field.choices = [(name, name) for name in models]
        if self.selected_provider is not None:
            provider_field.initial = self.selected_provider.pk
            model_field.initial = self.selected_provider.default_model or (models or [""])[0]

    def _selected(self, providers: Any) -> Provider | None:
        raw = self.data.get("provider") if self.is_bound else self.initial.get("provider")
        if raw not in (None, ""):
            try:
                return providers.get(pk=int(raw))  # type: ignore[no-any-return]
            except (Provider.DoesNotExist, TypeError, ValueError):
                return None
        return providers.first()  # type: ignore[no-any-return]
