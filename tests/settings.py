"""Test settings: the real settings plus what only a test run needs.

It differs in two ways, which is why it exists: a fixed throwaway secret key
(tests run with DEBUG off, like production) and a fast password hasher.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-tests-only-" + "x" * 32)

from chatui.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests start runners themselves (a real Runner on the test's event loop), so
# the ASGI app must not start one of its own; live-server subprocesses use the
# real settings and run the embedded in-process runner.
CHAT_RUNNER = "external"
CHAT_FAKE_PROVIDER = True
