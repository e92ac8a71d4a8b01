"""Login throttling (django-axes) on the app's login and the admin's.

Before: hundreds of wrong passwords answered 200 and the right one still
worked. Now, after ``AXES_FAILURE_LIMIT`` wrong passwords for one username from
one address, that pair gets the lockout page (HTTP 429) until the cool-off has
passed, even with the right password; other users, and the same user from
another address, are not affected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.security.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

LOGINS = [
    pytest.param("/accounts/login/", "owner", id="app_login"),
    pytest.param("/admin/login/", "staff", id="admin_login"),
]


def _login(path: str, username: str, password: str, *, address: str = "203.0.113.7") -> Any:
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def _logged_in(response: Any) -> bool:
    return response.status_code == 302 and "sessionid" in response.cookies


def _locked_out(response: Any) -> bool:
    return response.status_code == 429 and b"data-lockout-message" in response.content


@pytest.mark.parametrize(("path", "role"), LOGINS)
def test_after_the_limit_even_the_right_password_is_refused(
    world: World, path: str, role: str
) -> None:
    username = getattr(world, role).username
    limit = settings.AXES_FAILURE_LIMIT
    for attempt in range(limit - 1):
        response = _login(path, username, "wrong")
        assert response.status_code == 200, attempt  # the form again, with its error
    assert _locked_out(_login(path, username, "wrong")), "the limit-th failure locks out"
    response = _login(path, username, PASSWORD)
    assert _locked_out(response)
    text = response.content.decode()
    assert f"after {limit} wrong passwords" in text and "Try again in 15 minutes" in text


@pytest.mark.parametrize(("path", "role"), LOGINS)
def test_a_lockout_is_one_user_from_one_address(world: World, path: str, role: str) -> None:
    username = getattr(world, role).username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(path, username, "wrong")
    assert _locked_out(_login(path, username, PASSWORD))
    assert _logged_in(_login(path, username, PASSWORD, address="198.51.100.9")), "other address"
    other = world.other.username if role == "owner" else world.staff.username
    if other != username:
        assert _logged_in(_login(path, other, PASSWORD)), "another user, same address"


def test_the_lockout_ends_after_the_cool_off(world: World) -> None:
    username = world.owner.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login("/accounts/login/", username, "wrong")
    assert _locked_out(_login("/accounts/login/", username, PASSWORD))
    later = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=later)
    assert _logged_in(_login("/accounts/login/", username, PASSWORD))


def test_a_successful_login_forgets_earlier_failures(world: World) -> None:
    username = world.owner.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login("/accounts/login/", username, "wrong")
    assert _logged_in(_login("/accounts/login/", username, PASSWORD))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login("/accounts/login/", username, "wrong").status_code == 200
    assert _logged_in(_login("/accounts/login/", username, PASSWORD))


def test_the_login_page_itself_is_never_locked(world: World) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login("/accounts/login/", world.owner.username, "wrong")
    assert Client(REMOTE_ADDR="203.0.113.7").get("/accounts/login/").status_code == 200
