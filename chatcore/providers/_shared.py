"""What every adapter shares: SDK client options and the checks made before any network call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from chatcore.errors import ClassifiedError, ErrorKind, ProviderError, with_classification
from chatcore.providers.types import ProviderConfig

__all__ = ["client_options", "ensure_usable"]

# The SDKs refuse to build a client without a key. A config without one still gets an
# adapter: a `key_missing` config must fail pre-classified at stream time, a keyless
# local server (Ollama, vLLM) needs none, and any other keyless call gets the provider's
# own 401. Never the process environment's key (OPENAI_API_KEY, ANTHROPIC_API_KEY).
_PLACEHOLDER_KEY = "no-key-configured"


def client_options(
    config: ProviderConfig, *, aiohttp_client: Callable[..., httpx2.AsyncClient]
) -> dict[str, Any]:
    """Keyword arguments for `AsyncOpenAI` / `AsyncAnthropic`: our retry loop owns retrying.

    ``aiohttp_client`` is the SDK's own ``DefaultAioHttpClient`` (its defaults for
    limits and redirects, aiohttp underneath), used when the config asks for it.
    """
    options: dict[str, Any] = {
        "api_key": config.api_key or _PLACEHOLDER_KEY,
        "base_url": config.base_url,
        "timeout": config.timeout,
        "max_retries": 0,
    }
    if config.transport == "aiohttp":
        options["http_client"] = aiohttp_client(timeout=config.timeout)
    elif config.transport != "httpx":
        raise ValueError(f"unknown HTTP transport {config.transport!r}; expected httpx or aiohttp")
    return options


def _refused(kind: ErrorKind, text: str, provider: str) -> BaseException:
    # `with_provider` fills in the terminal message for the provider, as classify would.
    classified = ClassifiedError(kind=kind, retryable=False).with_provider(provider)
    return with_classification(ProviderError(text, provider=provider), classified)


def ensure_usable(config: ProviderConfig, provider: str) -> None:
    """Raise a pre-classified error when the registry says this provider must not be called."""
    if not config.enabled:
        raise _refused(
            ErrorKind.PROVIDER_DISABLED,
            f"provider {config.name!r} is disabled by an administrator",
            provider,
        )
    if config.key_missing:
        raise _refused(
            ErrorKind.MISSING_KEY,
            f"the API key this chat was started with for {config.name!r} no longer exists",
            provider,
        )
