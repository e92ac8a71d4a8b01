"""Page fixtures: real users, providers and chats, and logged-in clients."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chatcore.models import Provider
from tests.chatcore.persistence.factories import make_provider, make_user


@pytest.fixture
def alice(db: None) -> User:
    return make_user(username="alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_user(username="bob")


@pytest.fixture
def alice_client(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def demo_provider(db: None) -> Provider:
    return make_provider(
        name="demo", kind="fake", models=["echo", "demo-flaky"], default_model="echo"
    )
