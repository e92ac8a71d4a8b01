"""Managing a chat: rename it, switch its model or system prompt, delete it.

Synchronous ORM functions like ``chatcore.chats.commands``; the web calls them
through ``chatcore.chats.service.ChatService``, which then tells the owner's
pages. None of them is activity: a chat does not move up its owner's list for
a rename or a settings change (``updated_at`` is left alone). Deleting is a
hard delete (the chat, its messages and retry events): nothing of a deleted
chat is kept, in the app or in the admin. A user deletes a chat to be rid of
it, and the retry history an operator might miss is kept in the metrics.
"""

from __future__ import annotations

from typing import Any

from chatcore.chats import lifecycle
from chatcore.chats.titles import TitleRefused, clean_title
from chatcore.chats.validation import MAX_MESSAGE_CHARS, storable_text
from chatcore.models import Chat, Provider, ProviderKind

__all__ = [
    "MAX_SYSTEM_PROMPT_CHARS",
    "SettingsRefused",
    "delete_chat",
    "offered_models",
    "rename",
    "update_settings",
]

MAX_SYSTEM_PROMPT_CHARS = MAX_MESSAGE_CHARS


class SettingsRefused(ValueError):
    """A rename or a settings change that is not stored; ``reason`` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def rename(chat: Chat, title: object) -> str:
    """Give the chat a title the user chose (one line, trimmed); ``SettingsRefused`` else."""
    try:
        cleaned = clean_title(title)
    except TitleRefused as refused:
        raise SettingsRefused(refused.reason) from None
    # Not activity: a rename does not move the chat up the list (updated_at stays).
    Chat.objects.filter(pk=chat.pk).update(title=cleaned)
    chat.title = cleaned
    return cleaned


def offered_models(provider: Provider) -> list[str]:
    """The models a chat may switch to on ``provider`` (its list, else its default)."""
    return provider.model_names or ([provider.default_model] if provider.default_model else [])


def update_settings(
    chat: Chat,
    *,
    provider: Provider | None = None,
    model: str | None = None,
    system_prompt: object = None,
    allow_fallback: bool | None = None,
) -> Chat:
    """Switch the model (and provider) of the chat's next turn, set its system prompt, and
    allow or forbid model fallbacks.

    A turn in flight keeps the model and prompt it started with. The model must
    be one the provider offers (or the chat's current one); the provider must be
    enabled. Switching provider records its key (a later removal of that key is
    ``missing_key``) and its chain mode; any change ends an OpenAI Responses
    chain, so the next turn sends the whole history with the new settings.
    """
    changes: dict[str, Any] = {}
    target = provider or chat.provider
    if provider is not None and provider.pk != chat.provider_id:
        if not provider.enabled:
            raise SettingsRefused("That provider is disabled.")
        changes.update(
            provider=provider,
            api_key_ref=provider.key_id,
            chain_mode=provider.kind == ProviderKind.OPENAI_RESPONSES,
        )
    if model is not None or "provider" in changes:
        name = (model if model is not None else chat.model).strip()
        unchanged = "provider" not in changes and name == chat.model
        if not name or (not unchanged and name not in offered_models(target)):
            raise SettingsRefused(f"{target.name} does not offer the model “{name}”.")
        if name != chat.model:
            changes["model"] = name
    if system_prompt is not None:
        if not isinstance(system_prompt, str) or not storable_text(system_prompt):
            raise SettingsRefused("The system prompt must be text.")
        prompt = system_prompt.strip()
        if len(prompt) > MAX_SYSTEM_PROMPT_CHARS:
            raise SettingsRefused(
                f"The system prompt must be at most {MAX_SYSTEM_PROMPT_CHARS} characters."
            )
        if prompt != chat.system_prompt:
            changes["system_prompt"] = prompt
    if changes:
        changes["previous_response_id"] = ""
    # Whether a turn may switch model changes nothing of what is sent: the chain stays.
    if allow_fallback is not None and allow_fallback != chat.allow_fallback:
        changes["allow_fallback"] = allow_fallback
    if changes:
        # Not activity: settings do not move the chat up the list (updated_at stays).
        Chat.objects.filter(pk=chat.pk).update(**changes)
        chat.refresh_from_db()
    return chat


def delete_chat(chat: Chat) -> str:
    """Delete the chat for good (its messages and retry events with it), after asking its
    turn to stop; returns the runner to tell to stop ("" when none held the turn)."""
    runner = lifecycle.dequeue_or_flag_stop(chat.pk)
    Chat.objects.filter(pk=chat.pk).delete()
    return runner
