"""Masking of anything that looks like a credential before text leaves the classifier."""

from __future__ import annotations

import re

__all__ = ["redact"]

_MASK = "[REDACTED]"

# Why each pattern: OpenAI/Anthropic/OpenRouter keys start with `sk-` (incl.
# `sk-ant-`, `sk-proj-`, `sk-or-v1-`); Google API keys start with `AIza`; AWS
# access key ids with `AKIA`/`ASIA`; HTTP auth headers and `key=`-style query or
# JSON values carry keys of any shape. OpenAI's "Incorrect API key provided:
# sk-abc***xyz" already masks the middle, but the visible ends are still masked.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-*]{6,}"), r"\1 " + _MASK),
    (
        re.compile(
            r"(?i)((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|key|secret|password|"
            r"x-api-key|x-goog-api-key|api-key|authorization)"
            r"[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED\])[^\s\"'&,;}<>]{4,}"
        ),
        r"\1" + _MASK,
    ),
    # No word boundary before `sk-`: a key glued to other text must still be masked.
    # Requiring a digit spares ordinary words such as "desk-reservations".
    (re.compile(r"sk-(?=[A-Za-z_\-*]*\d)[A-Za-z0-9_\-*]{6,}"), _MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), _MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{12,}"), _MASK),
    (re.compile(r"\b(?:xai|gsk|pplx|hf|r8|nvapi)[-_][A-Za-z0-9_\-]{16,}"), _MASK),
)


# Something every pattern above needs, searched in the lower-cased text: most
# texts carry none of them and are returned after this one search.
_TRIGGER = re.compile(
    r"sk-|bearer\s|basic\s|aiza|akia|asia|xai[-_]|gsk[-_]|pplx[-_]|hf[-_]|r8[-_]|nvapi[-_]"
    r"|(?:key|token|secret|password|authorization)[\"']?\s*[:=]"
)


def redact(text: str) -> str:
    """`text` with API keys, bearer tokens and `key=` values masked."""
    if not text or _TRIGGER.search(text.lower()) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
