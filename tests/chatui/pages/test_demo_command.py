"""`manage.py demo`: the demo user and providers, created once however often it runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from chatcore.fakeprovider import SCENARIOS
from chatcore.models import ModelFallback, Provider
from chatui.management.commands.demo import DEMO_MODELS, ensure_env_providers
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def _logs_in(username: str, password: str) -> bool:
    """Whether the login form's authentication accepts these (django-axes needs a request)."""
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password) is not None


def _demo(port: int) -> str:
    out = io.StringIO()
    call_command("demo", port=port, serve=False, stdout=out)
    return out.getvalue()


def test_demo_creates_the_user_and_the_fake_provider_with_every_scenario(monkeypatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_COMPATIBLE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    _demo(8123)
    assert _logs_in("demo", "demo")
    provider = Provider.objects.get(name="demo")
    assert (provider.kind, provider.base_url) == ("fake", "http://127.0.0.1:8123/fake/openai/v1")
    assert provider.model_names == list(DEMO_MODELS)
    demo_scenarios = {name for name in SCENARIOS if name.startswith("demo-")}
    assert set(DEMO_MODELS) == demo_scenarios, "every demo scenario is offered, and only those"
    assert provider.enabled and not provider.has_key
    assert list(Provider.objects.values_list("name", flat=True)) == ["demo"]


def test_demo_fallback_falls_back_to_demo_echo_once_however_often_demo_runs() -> None:
    _demo(8123)
    _demo(8123)
    rows = list(ModelFallback.objects.values_list("provider__name", "model", "to_model"))
    assert rows == [("demo", "demo-fallback", "demo-echo")]
    fallback = ModelFallback.objects.get()
    assert (fallback.after_attempts, fallback.on_overloaded) == (2, True)
    assert {"demo-fallback", "demo-echo"} <= set(DEMO_MODELS)


def test_running_demo_again_duplicates_nothing_and_follows_the_port() -> None:
    _demo(8123)
    user = User.objects.get(username="demo")
    user.set_password("changed")
    user.save()
    _demo(9000)
    assert User.objects.filter(username="demo").count() == 1
    assert Provider.objects.filter(name="demo").count() == 1
    assert Provider.objects.get(name="demo").base_url == "http://127.0.0.1:9000/fake/openai/v1"
    assert _logs_in("demo", "demo")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, {}, id="no_keys_no_real_providers"),
        pytest.param(
            {"OPENAI_API_KEY": "sk-test-not-real"},
            {"openai": ("openai", "", "OPENAI_API_KEY", "gpt-4o-mini")},
            id="openai_key_by_variable_name",
        ),
        pytest.param(
            {"ANTHROPIC_API_KEY": "sk-ant-x", "ANTHROPIC_MODELS": "claude-a, claude-b"},
            {"anthropic": ("anthropic", "", "ANTHROPIC_API_KEY", "claude-a")},
            id="anthropic_with_own_model_list",
        ),
        pytest.param(
            {
                "OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:11434/v1",
                "OPENAI_COMPATIBLE_MODELS": "qwen3",
            },
            {"openai-compatible": ("openai-compatible", "http://127.0.0.1:11434/v1", "", "qwen3")},
            id="keyless_compatible_server",
        ),
        pytest.param(
            {"OPENAI_COMPATIBLE_API_KEY": "k"}, {}, id="compatible_key_without_url_is_ignored"
        ),
    ],
)
def test_real_providers_come_from_the_environment_and_never_store_the_key(
    environ, expected
) -> None:
    ensure_env_providers(environ)
    ensure_env_providers(environ)  # idempotent
    found = {
        p.name: (p.kind, p.base_url, p.api_key_env, p.default_model) for p in Provider.objects.all()
    }
    assert found == expected
    assert not Provider.objects.exclude(api_key_encrypted="").exists(), (
        "keys stay in the environment"
    )


def test_a_key_reference_keeps_its_id_across_runs() -> None:
    ensure_env_providers({"OPENAI_API_KEY": "sk-1"})
    first = Provider.objects.get(name="openai").key_id
    ensure_env_providers({"OPENAI_API_KEY": "sk-2"})
    assert Provider.objects.get(name="openai").key_id == first


def test_manage_py_demo_sets_the_demo_defaults() -> None:
    code = (
        "import os, sys; sys.argv = ['manage.py', 'demo', '--help'];"
        "import manage; import django.core.management as m;"
        "m.execute_from_command_line = lambda argv: print(os.environ['CHAT_STARTUP_TIMEOUT'], os.environ['CHAT_DEMO']);"
        "manage.main()"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["5", "1"], done.stderr


@pytest.mark.parametrize(
    ("demo", "exists"),
    [
        pytest.param(True, True, id="demo_mode_makes_the_operator_account"),
        pytest.param(False, False, id="never_outside_demo_mode"),
    ],
)
def test_demo_makes_an_admin_account_only_in_demo_mode(settings, demo: bool, exists: bool) -> None:
    settings.DEMO = demo
    _demo(8123)
    _demo(8123)  # twice: still one account
    request = RequestFactory().post("/accounts/login/")
    admin = authenticate(request, username="admin", password="admin")
    assert (admin is not None) is exists
    if admin is not None:
        assert (admin.is_staff, admin.is_superuser) == (True, True)
        assert User.objects.filter(username="admin").count() == 1


def _manage(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHAT_", "DJANGO_", "DATABASE_", "REDIS_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_management_commands_run_in_development_without_a_secret_key(tmp_path) -> None:
    # The embedded default (no DATABASE_URL) with no secret: like the demo server.
    sqlite = str(tmp_path / "dev.sqlite3")
    done = _manage(
        ["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"],
        SQLITE_PATH=sqlite,
    )
    assert (done.returncode, done.stdout.split()[-1:]) == (0, ["True"]), done.stderr


def test_a_configured_database_without_a_secret_key_still_refuses() -> None:
    done = _manage(["check"], DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in done.stderr
