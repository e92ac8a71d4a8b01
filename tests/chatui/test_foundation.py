"""The foundation: settings from the environment, health, static htmx, the echo socket."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.request

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.staticfiles import finders

from tests.conftest import ROOT

# The htmx files django-htmx ships; a django-htmx upgrade that changes them must be seen.
PINNED_STATIC = {
    "django_htmx/htmx-2.min.js": "71ea67185bfa8c98c39d31717c6fce5d852370fcdfd129db4543774d3145c0de",
    "django_htmx/ext/hx-ws-2.min.js": "896afc2936ded7a56373edf16ce75b0fe9bf49c03d1f55aee9baa94cb87c8d3e",
}


def _settings_in_subprocess(
    env: dict[str, str], expression: str
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    clean.update(env)
    clean.pop("CHAT_DEMO", None)
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({expression}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "chatui.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_outside_debug_is_a_clear_startup_error() -> None:
    done = _settings_in_subprocess({}, "settings.SECRET_KEY")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in done.stderr


def test_debug_generates_a_dev_secret_key() -> None:
    done = _settings_in_subprocess({"DJANGO_DEBUG": "1"}, "[settings.DEBUG, settings.SECRET_KEY]")
    assert done.returncode == 0, done.stderr
    debug, key = json.loads(done.stdout)
    assert debug is True
    assert key.startswith("dev-") and len(key) > 40


def test_defaults_are_sqlite_in_the_project_and_in_memory_layer() -> None:
    done = _settings_in_subprocess(
        {"DJANGO_SECRET_KEY": "k" * 50},
        "[settings.DEBUG, settings.DATABASES['default']['ENGINE'], "
        "str(settings.DATABASES['default']['NAME']), settings.CHANNEL_LAYERS['default']['BACKEND']]",
    )
    assert done.returncode == 0, done.stderr
    debug, engine, name, layer = json.loads(done.stdout)
    assert debug is False
    assert engine == "django.db.backends.sqlite3"
    assert name == str(ROOT / "db.sqlite3")
    assert layer == "chatui.layers.ThrottledInMemoryChannelLayer"


def test_database_url_and_redis_url_select_postgres_and_channels_redis() -> None:
    done = _settings_in_subprocess(
        {
            "DJANGO_SECRET_KEY": "k" * 50,
            "DATABASE_URL": "postgres://someone@db.invalid:5433/chats",
            "REDIS_URL": "redis://cache.invalid:6380/2",
        },
        "[settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST'], "
        "settings.DATABASES['default']['PORT'], settings.DATABASES['default']['NAME'], "
        "settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CHANNEL_LAYERS['default']['CONFIG']]",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        "django.db.backends.postgresql",
        "db.invalid",
        5433,
        "chats",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        {
            "hosts": [
                {
                    "address": "redis://cache.invalid:6380/2",
                    "health_check_interval": 10,
                    "socket_timeout": 15,
                    "socket_connect_timeout": 5,
                }
            ],
            # Servers sharing a Redis keep apart by database.
            "prefix": "calmchat:chats:",
        },
    ]


@pytest.mark.parametrize("path", sorted(PINNED_STATIC))
def test_htmx_static_files_are_the_pinned_versions(path: str) -> None:
    found = finders.find(path)
    assert found, f"{path} is not among our static files"
    with open(found, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == PINNED_STATIC[path]


@pytest.mark.django_db
def test_healthz_reports_database_and_channel_layer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["channel_layer"]["status"] == "ok"


@pytest.mark.django_db
def test_home_page_loads_htmx_and_the_ws_extension(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "/static/django_htmx/ext/hx-ws-2.min.js" in html


async def test_echo_consumer_answers_and_refuses_binary_frames() -> None:
    from chatui.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/echo/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    try:
        assert connected
        await communicator.send_to(text_data="hello")
        assert json.loads(await communicator.receive_from()) == {"echo": "hello"}
        await communicator.send_to(bytes_data=b"\x00\x01")
        assert "error" in json.loads(await communicator.receive_from())
    finally:
        await communicator.disconnect()


async def test_websocket_from_a_foreign_origin_is_refused() -> None:
    from chatui.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/echo/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


@pytest.mark.redis
async def test_channels_redis_round_trip(redis_url: str) -> None:
    from channels_redis.pubsub import RedisPubSubChannelLayer

    # Its own prefix: the Redis may be shared with running servers.
    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix="calmchat-test-foundation:")
    channel = await layer.new_channel()
    await layer.group_add("probes", channel)
    await layer.send(channel, {"type": "probe", "n": 1})
    assert await layer.receive(channel) == {"type": "probe", "n": 1}
    await layer.group_send("probes", {"type": "probe", "n": 2})
    assert await layer.receive(channel) == {"type": "probe", "n": 2}
    await layer.flush()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_test_database_is_postgres() -> None:
    from django.db import connection

    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0].startswith("test_")


def test_live_server_serves_static_and_healthz(live_server_proc) -> None:  # type: ignore[no-untyped-def]
    with urllib.request.urlopen(live_server_proc.url + "/healthz", timeout=10) as response:
        assert json.load(response)["status"] == "ok"
    path = "django_htmx/htmx-2.min.js"
    with urllib.request.urlopen(f"{live_server_proc.url}/static/{path}", timeout=10) as response:
        assert hashlib.sha256(response.read()).hexdigest() == PINNED_STATIC[path]
