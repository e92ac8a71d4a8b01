"""Encryption of provider API keys at rest (Fernet, keys derived from a settings secret).

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
import logging
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["decrypt_api_key", "encrypt_api_key"]

logger = logging.getLogger(__name__)

# Domain separation: the same SECRET_KEY also signs sessions and tokens, so the
# Fernet key is derived for this one purpose rather than taken from it directly.
_HKDF_INFO = b"calmchat.provider-api-key.v1"


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
