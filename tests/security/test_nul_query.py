"""A NUL in a query string is a clear 400 everywhere, never a database error."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/admin/chatcore/chat/?status__exact=%00", id="admin_builtin_filter"),
        pytest.param("/admin/chatcore/chat/?q=a%00b", id="admin_search"),
        pytest.param("/admin/chatcore/chat/?error_kind=%00", id="admin_json_key_filter"),
        pytest.param("/admin/chatcore/chat/?retryable=%00", id="admin_retryable_filter"),
        pytest.param("/chats/?x=%00", id="page"),
        pytest.param("/api/chats/?x=%00", id="api"),
    ],
)
def test_nul_in_the_query_is_refused_with_400(client: Client, url: str) -> None:
    client.force_login(User.objects.create_user("ops", is_staff=True, is_superuser=True))
    assert client.get(url).status_code == 400


def test_ordinary_queries_still_work(client: Client) -> None:
    client.force_login(User.objects.create_user("ops", is_staff=True, is_superuser=True))
    assert client.get("/admin/chatcore/chat/?status__exact=failed").status_code == 200
