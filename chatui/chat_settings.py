"""The chat header's model picker: every enabled provider's models, and what a choice names.

A choice is ``"<provider id>:<model>"`` (model names may hold ``/`` or ``:``,
provider ids never do). The chat's own provider and model are always offered,
even when the provider was disabled or no longer lists the model, so the
picker shows what the chat uses.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from chatcore.chats import MAX_SYSTEM_PROMPT_CHARS, offered_models
from chatcore.models import Chat, Provider

__all__ = ["model_groups", "parse_model_choice", "render_settings"]


def model_groups(chat: Chat) -> list[dict[str, Any]]:
    """``<optgroup>``s for the picker: one per provider, the chat's model selected."""
    providers = list(Provider.objects.enabled())
    if all(provider.pk != chat.provider_id for provider in providers):
        providers.append(chat.provider)
    groups = []
    for provider in providers:
        models = offered_models(provider)
        if provider.pk == chat.provider_id and chat.model not in models:
            models = [chat.model, *models]
        if not models:
            continue
        label = provider.name if provider.enabled else f"{provider.name} (disabled)"
        groups.append(
            {
                "label": label,
                "options": [
                    {
                        "value": f"{provider.pk}:{model}",
                        "label": model,
                        "selected": provider.pk == chat.provider_id and model == chat.model,
                    }
                    for model in models
                ],
            }
        )
    return groups


def parse_model_choice(value: object) -> tuple[Provider, str] | None:
    """The provider and model a picker value names; None when it names none."""
    if not isinstance(value, str) or ":" not in value:
        return None
    provider_id, model = value.split(":", 1)
    if not (provider_id.isascii() and provider_id.isdigit()) or not model.strip():
        return None
    provider = Provider.objects.filter(pk=int(provider_id)).first()
    return None if provider is None else (provider, model.strip())


def render_settings(chat_id: int) -> str:
    """The chat's model picker, system prompt button and text box and fallback switch, as
    fragments for its
    socket ("" when the chat is gone). Not their forms: a form swapped away would drop the
    answer to the request it just made (the notice of the change)."""
    chat = Chat.objects.select_related("provider").filter(pk=chat_id).first()
    if chat is None:
        return ""
    context = {
        "chat": chat,
        "model_groups": model_groups(chat),
        "system_prompt_limit": MAX_SYSTEM_PROMPT_CHARS,
        "oob": True,
    }
    return "".join(
        render_to_string(f"chats/{name}.html", context)
        for name in ("_model_select", "_prompt_toggle", "_system_prompt_box", "_fallback_toggle")
    )
