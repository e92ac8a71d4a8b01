"""Small builders for real rows, shared by the persistence and admin tests."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from django.contrib.auth.models import User

from chatcore.contract import ChatError
from chatcore.errors import ClassifiedError, ErrorKind, terminal_message
from chatcore.models import Chat, ChatMessage, MessageRole, Provider, ProviderKind, text_parts

_counter = itertools.count(1)


def make_user(*, staff: bool = False, **fields: Any) -> User:
    n = next(_counter)
    fields.setdefault("username", f"user{n}")
    fields.setdefault("email", f"user{n}@example.test")
    user = User.objects.create_user(password="pw-for-tests-only", **fields)
    if staff:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


def make_provider(*, key: str | None = None, **fields: Any) -> Provider:
    fields.setdefault("name", f"provider-{next(_counter)}")
    fields.setdefault("kind", ProviderKind.ANTHROPIC)
    fields.setdefault("models", ["model-a", "model-b"])
    fields.setdefault("default_model", "model-a")
    provider = Provider(**fields)
    if key is not None:
        provider.set_api_key(key)
    provider.save()
    return provider


def make_chat(
    *, owner: User | None = None, provider: Provider | None = None, **fields: Any
) -> Chat:
    provider = provider or make_provider()
    fields.setdefault("model", provider.default_model)
    fields.setdefault("api_key_ref", provider.key_id)
    return Chat.objects.create(owner=owner or make_user(), provider=provider, **fields)


def add_message(chat: Chat, role: MessageRole, text: str, **fields: Any) -> ChatMessage:
    return ChatMessage.objects.create(chat=chat, role=role, content=text_parts(text), **fields)


def error_payload(kind: ErrorKind, **fields: Any) -> dict[str, Any]:
    """The `ChatError` the runner would persist for a classification of this kind."""
    base = ClassifiedError(kind=kind, **fields)
    classified = dataclasses.replace(base, message=base.message or terminal_message(base))
    return ChatError.from_classified(classified).to_json()
