"""From a provider config to the adapter that speaks its API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from chatcore.providers.anthropic_messages import AnthropicAdapter
from chatcore.providers.openai_chat import ChatCompletionsAdapter
from chatcore.providers.openai_responses import ResponsesAdapter
from chatcore.providers.types import Adapter, ProviderConfig

__all__ = ["KINDS", "UnknownProviderKind", "build_adapter"]

# Known hosted OpenAI-compatible gateways, so their failures name the right provider.
_COMPAT_HOSTS: tuple[tuple[str, str], ...] = (
    ("openrouter.ai", "openrouter"),
    ("openai.azure.com", "azure"),
    ("vercel.sh", "vercel"),
)


class UnknownProviderKind(ValueError):
    """The config names a provider kind no adapter speaks."""


def _compat_provider(config: ProviderConfig) -> str:
    if config.kind.strip().lower() == "openrouter":
        return "openrouter"
    host = (urlsplit(config.base_url).hostname or "") if config.base_url else ""
    for suffix, provider in _COMPAT_HOSTS:
        if host == suffix or host.endswith("." + suffix):
            return provider
    return "openai-compat"


def _chat(config: ProviderConfig) -> Adapter:
    return ChatCompletionsAdapter(config, provider="openai")


def _compatible(config: ProviderConfig) -> Adapter:
    provider = _compat_provider(config)
    label = "openai-compatible" if provider == "openai-compat" else provider
    return ChatCompletionsAdapter(config, provider=provider, label=label, compatible=True)


def _responses(config: ProviderConfig) -> Adapter:
    return ResponsesAdapter(config, provider="openai")


def _anthropic(config: ProviderConfig) -> Adapter:
    return AnthropicAdapter(config, provider="anthropic")


# The fake provider speaks the real wire formats, so its kinds reuse the real adapters
# and name the provider they imitate (the demo then reads "Anthropic is overloaded").
KINDS: Mapping[str, Callable[[ProviderConfig], Adapter]] = MappingProxyType(
    {
        "openai": _chat,
        "openai-chat": _chat,
        "openai-responses": _responses,
        "anthropic": _anthropic,
        "openai-compatible": _compatible,
        "openai-compat": _compatible,
        "ollama": _compatible,
        "vllm": _compatible,
        "openrouter": _compatible,
        "fake": _chat,
        "fake-openai": _chat,
        "fake-openai-responses": _responses,
        "fake-anthropic": _anthropic,
    }
)


def build_adapter(config: ProviderConfig) -> Adapter:
    """The adapter for ``config.kind``; build it once per config and reuse it across turns."""
    factory = KINDS.get(config.kind.strip().lower().replace("_", "-"))
    if factory is None:
        raise UnknownProviderKind(
            f"unknown provider kind {config.kind!r}; expected one of {', '.join(sorted(KINDS))}"
        )
    return factory(config)
