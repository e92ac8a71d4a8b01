"""Masking of anything that looks like a credential before text leaves the classifier."""

from __future__ import annotations

import re

__all__ = ["redact"]

_MASK = "[REDACTED]"
# What a key (or the visible ends of a key a provider masked itself) is made of.
_KEYISH = r"[A-Za-z0-9_\-*.]"

# Why each pattern:
# * providers echo the key they were given, often half-masked: OpenAI "Incorrect API
#   key provided: sk-proj-****abcd", xAI "Incorrect API key provided: xa***Xz" (no
#   recognisable prefix left), DeepSeek "Your api key: ****abcd is invalid";
# * HTTP auth headers and `key=`-style query or JSON values carry keys of any shape;
# * OpenAI, Anthropic and OpenRouter keys start with `sk-` (`sk-proj-`, `sk-ant-`,
#   `sk-or-v1-`, `sk-svcacct-`, `sk-admin-`); Google's with `AIza`; AWS access key
#   ids with `AKIA`/`ASIA`; Groq `gsk_`; xAI `xai-`; Perplexity `pplx-`; NVIDIA
#   `nvapi-`; Hugging Face `hf_`; Replicate `r8_`.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "provided: <key>" up to the end of the word (a sentence's full stop stays).
    (
        re.compile(r"(?i)(api[ _-]?key provided:\s*)(?!\[REDACTED\])\S+?(?=[.,;]?(?:\s|$))"),
        r"\1" + _MASK,
    ),
    (
        re.compile(
            r"(?i)\b(bearer|basic)\s+(?!(?:token|auth\w*|header|scheme|realm)\b)"
            r"(?!\[REDACTED\])[A-Za-z0-9._~+/=\-*]{6,}"
        ),
        r"\1 " + _MASK,
    ),
    (
        re.compile(
            r"(?i)((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|key|secret|password|"
            r"x-api-key|x-goog-api-key|api-key|authorization)"
            r"[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED\])(?!bearer\s|basic\s)[^\s\"'&,;}<>]{4,}"
        ),
        r"\1" + _MASK,
    ),
    # The known `sk-` families, glued to other text or not.
    (re.compile(rf"sk-(?:proj|ant|or|svcacct|admin|live|test)-{_KEYISH}{{2,}}"), _MASK),
    # Any other `sk-` key: it holds a digit or a mask ("****", "...") (this spares
    # ordinary words such as "desk-reservations"), or is long and stands alone.
    (re.compile(r"sk-(?=[A-Za-z_\-]*(?:\d|\*|\.\.))[A-Za-z0-9_\-*.]{3,}[A-Za-z0-9_\-*]"), _MASK),
    (re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{16,}"), _MASK),
    (re.compile(rf"\bAIza{_KEYISH}{{4,}}"), _MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{12,}"), _MASK),
    (re.compile(rf"\b(?:xai|gsk|pplx|nvapi)[-_]{_KEYISH}{{4,}}"), _MASK),
    (re.compile(r"\b(?:hf|r8)_[A-Za-z0-9]{16,}"), _MASK),
)


# Something every pattern above needs, searched in the lower-cased text: most
# texts carry none of them and are returned after this one search.
_TRIGGER = re.compile(
    r"sk-|bearer\s|basic\s|aiza|akia|asia|xai[-_]|gsk[-_]|pplx[-_]|hf_|r8_|nvapi[-_]"
    r"|key provided|(?:key|token|secret|password|authorization)[\"']?\s*[:=]"
)


def redact(text: str) -> str:
    """`text` with API keys, bearer tokens and `key=` values masked."""
    if not text or _TRIGGER.search(text.lower()) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
