"""Provider ids: normalisation, aliases and detection from error text (SPEC §4)."""

from __future__ import annotations

__all__ = ["PROVIDER_PATTERNS", "first_provider", "normalize_provider", "provider_signal"]

_ALIASES: dict[str, str] = {
    "azure openai": "azure",
    "azure-openai": "azure",
    "azure_openai": "azure",
    "azureopenai": "azure",
    "openai compat": "openai-compat",
    "openai compatible": "openai-compat",
    "openai_compat": "openai-compat",
    "openai-compatible": "openai-compat",
    "openai_compatible": "openai-compat",
    "aws bedrock": "bedrock",
    "aws-bedrock": "bedrock",
    "amazon bedrock": "bedrock",
    "vercel ai gateway": "vercel",
    "vercel-ai-gateway": "vercel",
    "gemini": "google",
    "vertex": "google",
    "vertex ai": "google",
    "vertexai": "google",
    "claude": "anthropic",
}

# Detection from text, first match wins: the more specific names come before the
# ones they contain ("azure openai" before "openai", "openai-compat" before "openai").
# Matched at word starts by the scanner, like every other pattern.
PROVIDER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("openai-compat", r"openai[-_ ]compat(?:ible)?"),
    ("azure", r"azure[-_ ]openai"),
    ("openrouter", r"openrouter"),
    ("bedrock", r"bedrock"),
    ("vercel", r"vercel"),
    ("anthropic", r"anthropic|claude"),
    ("google", r"google|gemini|vertex"),
    ("openai", r"openai"),
)
_SIGNALS: tuple[tuple[str, str], ...] = tuple(
    (f"provider:{provider}", provider) for provider, _ in PROVIDER_PATTERNS
)


def provider_signal(provider: str) -> str:
    """The scanner signal that says a text names `provider`."""
    return f"provider:{provider}"


def first_provider(signals: set[str]) -> str:
    """The provider a set of scanned signals names, in priority order; empty if none."""
    for signal, provider in _SIGNALS:
        if signal in signals:
            return provider
    return ""


def normalize_provider(provider: str | None) -> str:
    """Trimmed, lower-cased provider id with aliases folded; empty when unknown."""
    if not provider:
        return ""
    value = " ".join(str(provider).strip().lower().split())
    return _ALIASES.get(value, value)
