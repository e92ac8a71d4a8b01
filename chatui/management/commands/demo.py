"""``manage.py demo``: the embedded default a newcomer runs, in one command.

It migrates the database, creates the demo user (``demo`` / ``demo``), the
operator's staff account (``admin`` / ``admin``, in demo mode only) and the
``demo`` provider, whose models are the fake provider's demo scenarios (the
fake provider is mounted at ``/fake/`` of this same server by
``chatui/asgi.py``), adds a provider for each real API whose key is in the
environment, and serves on 127.0.0.1 (``runserver`` is Daphne's: HTTP and
websockets; the in-process runner starts with the first request). Running it
again changes nothing but what moved: a new port updates the demo provider's
base URL. ``manage.py`` gives the demo a 5 s startup window
(``CHAT_STARTUP_TIMEOUT``) so ``demo-slow-start`` shows a startup timeout soon.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from chatcore.models import ModelFallback, Provider, ProviderKind

__all__ = [
    "ADMIN_PASSWORD",
    "ADMIN_USERNAME",
    "DEMO_MODELS",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "Command",
    "ensure_demo_admin",
    "ensure_demo_fallback",
    "ensure_demo_provider",
    "ensure_demo_user",
    "ensure_env_providers",
]

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
# The operator's account of the demo (the admin at /admin/); never made outside demo mode.
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
# The fake provider's named scenarios (chatcore/fakeprovider/scenarios.py), in
# the order a newcomer should try them: success first, then each failure.
DEMO_MODELS = (
    "demo-echo",
    "demo-flaky",
    "demo-overloaded",
    "demo-fallback",
    "demo-truncated",
    "demo-slow-start",
    "demo-auth",
    "demo-quota",
    "demo-disabled",
    "demo-context",
    "demo-down",
    "demo-outage",
    "demo-key-limit",
)


@dataclass(frozen=True)
class _EnvProvider:
    """A real API configured from the environment: the key stays there (by name)."""

    name: str
    kind: str
    key_variable: str
    models_variable: str
    default_models: tuple[str, ...]
    base_url_variable: str = ""


_ENV_PROVIDERS = (
    _EnvProvider(
        "openai", ProviderKind.OPENAI, "OPENAI_API_KEY", "OPENAI_MODELS", ("gpt-4o-mini", "gpt-4o")
    ),
    _EnvProvider(
        "anthropic",
        ProviderKind.ANTHROPIC,
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_MODELS",
        ("claude-sonnet-4-5", "claude-haiku-4-5"),
    ),
    _EnvProvider(
        "openai-compatible",
        ProviderKind.OPENAI_COMPATIBLE,
        "OPENAI_COMPATIBLE_API_KEY",
        "OPENAI_COMPATIBLE_MODELS",
        ("llama3.2",),
        base_url_variable="OPENAI_COMPATIBLE_BASE_URL",
    ),
)


def ensure_demo_user() -> User:
    """The demo account, with the password the login page announces."""
    user, _ = User.objects.get_or_create(username=DEMO_USERNAME)
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def ensure_demo_admin() -> User | None:
    """The demo's staff account ``admin`` / ``admin``, in demo mode only (else None)."""
    if not settings.DEMO:
        return None
    user, _ = User.objects.get_or_create(username=ADMIN_USERNAME)
    if not (user.is_staff and user.is_superuser and user.check_password(ADMIN_PASSWORD)):
        user.is_staff = user.is_superuser = True
        user.set_password(ADMIN_PASSWORD)
        user.save()
    return user


def ensure_demo_provider(port: int) -> Provider:
    """The ``demo`` provider: the fake provider mounted in this server, no key needed."""
    provider, _ = Provider.objects.update_or_create(
        name="demo",
        defaults={
            "kind": ProviderKind.FAKE,
            "base_url": f"http://127.0.0.1:{port}/fake/openai/v1",
            "models": list(DEMO_MODELS),
            "default_model": DEMO_MODELS[0],
            "enabled": True,
        },
    )
    return provider


def ensure_demo_fallback(provider: Provider) -> ModelFallback:
    """``demo-fallback`` (always overloaded) falls back to ``demo-echo`` after 2 attempts."""
    fallback, _ = ModelFallback.objects.update_or_create(
        provider=provider,
        model="demo-fallback",
        to_model="demo-echo",
        defaults={"position": 0, "after_attempts": 2, "on_overloaded": True},
    )
    return fallback


def ensure_env_providers(environ: Mapping[str, str]) -> list[Provider]:
    """A provider for each real API configured in ``environ``; keys are referenced by name."""
    created = []
    for spec in _ENV_PROVIDERS:
        key = environ.get(spec.key_variable, "").strip()
        base_url = environ.get(spec.base_url_variable, "").strip() if spec.base_url_variable else ""
        if not (base_url if spec.base_url_variable else key):
            continue
        models = [m.strip() for m in environ.get(spec.models_variable, "").split(",") if m.strip()]
        models = models or list(spec.default_models)
        provider, _ = Provider.objects.update_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "base_url": base_url,
                "models": models,
                "default_model": models[0],
            },
        )
        wanted = spec.key_variable if key else ""
        if provider.api_key_env != wanted:
            # A new key reference is a new key id: only when it really changed.
            provider.set_api_key_env(wanted)
            provider.save()
        created.append(provider)
    return created


class Command(BaseCommand):
    help = "Migrate the embedded database, create the demo data and serve on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=8000, help="Loopback port to serve on (default 8000)."
        )
        parser.add_argument(
            "--no-serve",
            action="store_false",
            dest="serve",
            help="Only migrate and create the demo data; do not start the server.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        call_command("migrate", interactive=False, verbosity=0)
        ensure_demo_user()
        admin = ensure_demo_admin()
        ensure_demo_fallback(ensure_demo_provider(port))
        for provider in ensure_env_providers(os.environ):
            self.stdout.write(f"Provider {provider.name!r} from the environment ({provider.kind}).")
        if not options["serve"]:
            self.stdout.write("Demo data ready.")
            return
        operator = f"; the admin at /admin/ as {ADMIN_USERNAME} / {ADMIN_PASSWORD}" if admin else ""
        self.stdout.write(
            f"Serving the demo on http://127.0.0.1:{port}/chats/ "
            f"(log in as {DEMO_USERNAME} / {DEMO_PASSWORD}{operator})"
        )
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
