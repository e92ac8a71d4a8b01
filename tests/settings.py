"""Test settings: the real settings plus what only a test run needs.

It differs in two ways, which is why it exists: a fixed throwaway secret key
(tests run with DEBUG off, like production) and a fast password hasher.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-tests-only-" + "x" * 32)

from chatui.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
