"""Admin fixtures: a logged-in staff client."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.chatcore.persistence.factories import make_user


@pytest.fixture
def staff_client(db: None) -> Client:
    client = Client()
    client.force_login(make_user(staff=True))
    return client
