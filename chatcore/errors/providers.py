"""Provider ids: normalisation, aliases and detection from error text (SPEC §4)."""

from __future__ import annotations

import re

__all__ = ["detect_provider", "normalize_provider"]

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

# First match wins: the more specific names come before the ones they contain
# ("azure openai" before "openai", "openai-compat" before "openai").
_DETECT: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (provider, re.compile(pattern))
    for provider, pattern in (
        ("openai-compat", r"openai[-_ ]compat(?:ible)?"),
        ("azure", r"azure[-_ ]openai"),
        ("openrouter", r"openrouter"),
        ("bedrock", r"\bbedrock"),
        ("vercel", r"\bvercel"),
        ("anthropic", r"anthropic|\bclaude"),
        ("google", r"\bgoogle|\bgemini|\bvertex"),
        ("openai", r"openai"),
    )
)


def normalize_provider(provider: str | None) -> str:
    """Trimmed, lower-cased provider id with aliases folded; empty when unknown."""
    if not provider:
        return ""
    value = " ".join(str(provider).strip().lower().split())
    return _ALIASES.get(value, value)


def detect_provider(text: str) -> str:
    """The provider a lower-cased error text names, first match wins; empty if none."""
    for provider, pattern in _DETECT:
        if pattern.search(text):
            return provider
    return ""
