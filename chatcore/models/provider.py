"""LLM provider configuration: kind, endpoint, models offered, and its API key."""

from __future__ import annotations

import os
import uuid

from django.db import models

from chatcore.keys import decrypt_api_key, encrypt_api_key, key_variable_allowed

__all__ = ["Provider", "ProviderKind", "ProviderQuerySet"]


class ProviderKind(models.TextChoices):
    """Which wire protocol the provider speaks (selects the adapter)."""

    OPENAI = "openai", "OpenAI Chat Completions"
    OPENAI_RESPONSES = "openai-responses", "OpenAI Responses"
    ANTHROPIC = "anthropic", "Anthropic Messages"
    OPENAI_COMPATIBLE = "openai-compatible", "OpenAI-compatible server"
    FAKE = "fake", "Fake provider (demo and tests)"


# The classifier's provider id for each kind, used in error messages
# ("Anthropic is overloaded"); the fake provider has no real-world name.
_CLASSIFIER_PROVIDER: dict[str, str] = {
    ProviderKind.OPENAI: "openai",
    ProviderKind.OPENAI_RESPONSES: "openai",
    ProviderKind.ANTHROPIC: "anthropic",
    ProviderKind.OPENAI_COMPATIBLE: "openai-compat",
    ProviderKind.FAKE: "",
}


class ProviderQuerySet(models.QuerySet["Provider"]):
    def enabled(self) -> ProviderQuerySet:
        return self.filter(enabled=True)


class Provider(models.Model):
    """A configured provider endpoint.

    The API key is stored encrypted (``api_key_encrypted``) or referenced by the
    name of an environment variable (``api_key_env``), which must be one that
    ``chatcore.keys.key_variable_allowed`` allows; it is never rendered.
    ``key_id`` changes whenever a key is set and is cleared when it is removed,
    so a chat can record which key it started with and detect its removal.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=ProviderKind.choices)
    base_url = models.URLField(
        max_length=500, blank=True, help_text="Empty means the SDK's default endpoint."
    )
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_env = models.CharField(
        "API key environment variable",
        max_length=200,
        blank=True,
        help_text="Read the key from this environment variable instead of storing it.",
    )
    key_id = models.UUIDField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    default_model = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Last: from here on `models` in this class body names the field, not the module.
    models = models.JSONField(
        default=list, blank=True, help_text="Model names offered in the chat's model picker."
    )

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def classifier_provider(self) -> str:
        """The provider id the error classifier and messages use for this kind."""
        return _CLASSIFIER_PROVIDER.get(self.kind, "")

    @property
    def model_names(self) -> list[str]:
        """The picker's model names (tolerates a hand-edited non-list value)."""
        if not isinstance(self.models, list):
            return []
        return [str(name) for name in self.models if str(name).strip()]

    def set_api_key(self, plaintext: str) -> None:
        """Store a new key encrypted (not saved until ``save()``); empty clears it."""
        plaintext = plaintext.strip()
        if not plaintext:
            self.clear_api_key()
            return
        self.api_key_encrypted = encrypt_api_key(plaintext)
        self.api_key_env = ""
        self.key_id = uuid.uuid4()

    def set_api_key_env(self, variable: str) -> None:
        """Read the key from an environment variable from now on; empty clears it."""
        variable = variable.strip()
        if not variable:
            self.clear_api_key()
            return
        self.api_key_env = variable
        self.api_key_encrypted = ""
        self.key_id = uuid.uuid4()

    def clear_api_key(self) -> None:
        """Remove the key; chats started with it then fail as ``missing_key``."""
        self.api_key_encrypted = ""
        self.api_key_env = ""
        self.key_id = None

    def get_api_key(self) -> str | None:
        """The key to send to the provider, or None. Never log its result."""
        if self.api_key_env:
            # A name the allow-list refuses (set before it existed, or by hand) is no key.
            if not key_variable_allowed(self.api_key_env):
                return None
            return os.environ.get(self.api_key_env, "").strip() or None
        if self.api_key_encrypted:
            return decrypt_api_key(self.api_key_encrypted)
        return None

    @property
    def has_key(self) -> bool:
        """Whether a usable key exists right now (an env variable may be unset)."""
        return self.get_api_key() is not None

    @property
    def key_status(self) -> str:
        """What the admin shows instead of the key: where it comes from and if it is set."""
        if self.api_key_env:
            if not key_variable_allowed(self.api_key_env):
                state = "not allowed as a key variable"
            else:
                state = "set" if self.has_key else "not set"
            return f"environment variable {self.api_key_env} ({state})"
        if self.api_key_encrypted:
            return "set" if self.has_key else "stored, but cannot be decrypted"
        return "not set"
