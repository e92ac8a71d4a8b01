"""Where provider API keys may come from: encrypted storage, or allow-listed variables.

**Environment variables.** A provider may name the variable that holds its key
(``Provider.api_key_env``), but only one whose name matches
``CHAT_PROVIDER_KEY_ENV`` (comma-separated shell patterns, by default
``*_API_KEY,CHAT_PROVIDER_KEY_*``), and never one of this application's own
secrets (``NEVER_KEY_VARIABLES``), whatever the patterns say: the key is sent
as a bearer token to the provider's base URL, so an admin setting that could
name any variable could send the session-signing key anywhere. A provider that
names any other variable has no key (its chats fail as ``missing_key``).

**Encryption at rest** (Fernet, keys derived from a settings secret).

The secret is ``settings.PROVIDER_KEY_SECRET`` (env ``PROVIDER_KEY_SECRET``) when
set, otherwise ``settings.SECRET_KEY``. Older secrets stay readable through
``PROVIDER_KEY_SECRET_FALLBACKS`` (or ``SECRET_KEY_FALLBACKS`` when the key comes
from ``SECRET_KEY``), so a secret can be rotated without losing stored keys.

With ``DJANGO_DEBUG=1`` and no ``DJANGO_SECRET_KEY``, the settings generate a
new ``SECRET_KEY`` per process: keys stored by one process then cannot be
decrypted by the next. Set ``PROVIDER_KEY_SECRET`` (or ``DJANGO_SECRET_KEY``) to
keep stored keys across restarts; a key that can no longer be decrypted reads
as "no key", so its chats fail as ``missing_key`` instead of crashing.
"""

from __future__ import annotations

import base64
import fnmatch
import logging
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = [
    "DEFAULT_KEY_VARIABLE_PATTERNS",
    "NEVER_KEY_VARIABLES",
    "decrypt_api_key",
    "encrypt_api_key",
    "key_variable_allowed",
]

logger = logging.getLogger(__name__)

# Domain separation: the same SECRET_KEY also signs sessions and tokens, so the
# Fernet key is derived for this one purpose rather than taken from it directly.
_HKDF_INFO = b"calmchat.provider-api-key.v1"


DEFAULT_KEY_VARIABLE_PATTERNS = ("*_API_KEY", "CHAT_PROVIDER_KEY_*")
# This application's own secrets and connection strings: never a provider's key.
NEVER_KEY_VARIABLES = frozenset(
    {
        "DJANGO_SECRET_KEY",
        "DJANGO_SECRET_KEY_FALLBACKS",
        "PROVIDER_KEY_SECRET",
        "PROVIDER_KEY_SECRET_FALLBACKS",
        "DATABASE_URL",
        "REDIS_URL",
        "METRICS_TOKEN",
    }
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def key_variable_allowed(name: str) -> bool:
    """Whether a provider may read its key from the environment variable ``name``."""
    if not _NAME.fullmatch(name) or name.upper() in NEVER_KEY_VARIABLES:
        return False
    patterns = getattr(settings, "CHAT_PROVIDER_KEY_ENV", DEFAULT_KEY_VARIABLE_PATTERNS)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def encrypt_api_key(plaintext: str) -> str:
    """A Fernet token (ASCII) for the key, under the current secret."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_api_key(token: str) -> str | None:
    """The key inside a token, or None when no configured secret can open it."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        # Never log the token or the key: only that a stored key became unreadable.
        logger.warning("A stored provider API key cannot be decrypted with the current secret.")
        return None


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(_derive(secret)) for secret in _secrets()])


def _secrets() -> list[str]:
    dedicated = str(getattr(settings, "PROVIDER_KEY_SECRET", "") or "")
    if dedicated:
        fallbacks: Sequence[str] = getattr(settings, "PROVIDER_KEY_SECRET_FALLBACKS", ())
        return [dedicated, *fallbacks]
    return [str(settings.SECRET_KEY), *getattr(settings, "SECRET_KEY_FALLBACKS", ())]


def _derive(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)
