"""What a turn needs, read from the database once when it starts.

The runner's writes (claim, renew, retry, finish, release) are the chat's
lifecycle and live in ``chatcore.chats.lifecycle``; this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.conf import settings

from chatcore.errors import ClassifiedError, ErrorKind, terminal_message
from chatcore.health.fallback import FallbackRule
from chatcore.models import Chat, ChatMessage, ModelFallback, Provider
from chatcore.providers import HttpTransport, Message, ProviderConfig, Role

__all__ = [
    "TurnContext",
    "fallback_rule",
    "fallback_rules",
    "load_turn",
    "preflight",
    "provider_config",
]


@dataclass(frozen=True)
class TurnContext:
    """Everything one turn needs, read once when it starts."""

    chat_id: int
    owner_id: int
    model: str
    seq: int
    history: tuple[Message, ...]
    new_input: tuple[Message, ...]
    previous_response_id: str
    chain_mode: bool
    turn_key: str
    provider: ProviderConfig
    provider_key: tuple[int, str]
    classifier_provider: str
    preflight_error: ClassifiedError | None
    # The provider's model fallbacks (every model's: a fallback model may fall back in
    # turn); empty when the chat does not allow switching.
    fallbacks: tuple[FallbackRule, ...] = ()


_ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant", "system": "system"}


def load_turn(chat_id: int) -> TurnContext:
    chat = Chat.objects.select_related("provider").get(pk=chat_id)
    messages = list(
        ChatMessage.objects.shown().filter(chat_id=chat_id).values_list("role", "content")
    )
    history = tuple(
        Message(role=_ROLES[role], content=_text(content))
        for role, content in messages
        if role in _ROLES
    )
    new_input: list[Message] = []
    for message in reversed(history):
        if message.role == "assistant":
            break
        new_input.insert(0, message)
    # The chat's system prompt comes first in the full history. A chained turn
    # (OpenAI Responses) sends only its new input: the provider keeps the earlier
    # input, system prompt included, and changing the prompt breaks the chain
    # (``commands.update_settings``), so the next turn sends it again in full.
    if chat.system_prompt.strip():
        history = (Message(role="system", content=chat.system_prompt.strip()), *history)
    return TurnContext(
        chat_id=chat.pk,
        owner_id=chat.owner_id,
        model=chat.model,
        seq=chat.event_seq,
        history=history,
        new_input=tuple(new_input),
        previous_response_id=chat.previous_response_id,
        chain_mode=chat.chain_mode,
        turn_key=f"chat-{chat.pk}-turn-{len(history)}",
        provider=provider_config(chat.provider),
        provider_key=(chat.provider.pk, chat.provider.updated_at.isoformat()),
        classifier_provider=chat.provider.classifier_provider,
        preflight_error=preflight(chat),
        fallbacks=fallback_rules(chat.provider_id) if chat.allow_fallback else (),
    )


def fallback_rules(provider_id: int) -> tuple[FallbackRule, ...]:
    """The provider's configured fallbacks, in one query (once per turn, not per attempt)."""
    rows = ModelFallback.objects.filter(provider_id=provider_id).order_by("model", "position", "id")
    return tuple(fallback_rule(row) for row in rows)


def fallback_rule(row: ModelFallback) -> FallbackRule:
    """The selection's (Django-free) value of one ``ModelFallback`` row."""
    return FallbackRule(
        model=row.model,
        to_model=row.to_model,
        position=row.position,
        after_attempts=row.after_attempts,
        on_overloaded=row.on_overloaded,
        on_context_length=row.on_context_length,
        on_rate_limit=row.on_rate_limit,
    )


def provider_config(provider: Provider) -> ProviderConfig:
    return ProviderConfig(
        kind=provider.kind,
        name=provider.name,
        base_url=provider.base_url or None,
        api_key=provider.get_api_key(),
        enabled=provider.enabled,
        # Validated when the settings load.
        transport=cast(HttpTransport, settings.CHAT_HTTP_TRANSPORT),
    )


def preflight(chat: Chat) -> ClassifiedError | None:
    """The error that stops a turn before it starts, already classified; None to go ahead.

    Reads the provider fresh: an administrator may have disabled it or removed
    its key since the chat was loaded. A chat started without any key (the fake
    provider, a keyless local server) cannot lose one.
    """
    provider = Provider.objects.get(pk=chat.provider_id)
    if not provider.enabled:
        return _preclassified(ErrorKind.PROVIDER_DISABLED, provider)
    if chat.api_key_ref is not None and not provider.has_key:
        return _preclassified(ErrorKind.MISSING_KEY, provider)
    return None


def _preclassified(kind: ErrorKind, provider: Provider) -> ClassifiedError:
    base = ClassifiedError(kind=kind, provider=provider.classifier_provider, retryable=False)
    return ClassifiedError(
        kind=kind,
        provider=base.provider,
        retryable=False,
        message=terminal_message(base),
    )


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        part["text"]
        for part in content
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    )
