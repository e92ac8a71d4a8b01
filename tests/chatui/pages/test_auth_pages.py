"""Login, logout and the pages that need a login."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("demo", "shown"),
    [
        pytest.param(True, True, id="demo_mode_names_the_demo_account"),
        pytest.param(False, False, id="otherwise_no_account_is_named"),
    ],
)
def test_login_page_names_the_demo_account_only_in_demo_mode(settings, demo, shown) -> None:
    settings.DEMO = demo
    html = Client().get("/accounts/login/").content.decode()
    assert ("data-demo-hint" in html) is shown
    # The operator's account too, and only in demo mode (it exists only there).
    assert ("<strong>admin</strong>" in html) is shown
    assert 'name="csrfmiddlewaretoken"' in html


def test_logging_in_leads_to_the_chat_list(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "pw-for-tests-only", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/chats/"
    assert client.get("/chats/").status_code == 200


def test_a_login_form_without_its_csrf_token_is_refused(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 403


def test_logout_is_a_post_and_ends_the_session(alice_client: Client) -> None:
    assert alice_client.get("/accounts/logout/").status_code == 405
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert alice_client.get("/chats/").status_code == 302


@pytest.mark.parametrize("path", ["/chats/", "/chats/new/", "/chats/1/", "/usage/"])
def test_pages_need_a_login(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_home_sends_a_logged_in_user_to_the_chats(alice_client: Client) -> None:
    response = alice_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/chats/"
    assert Client().get("/").status_code == 200


def test_every_page_offers_the_way_in_or_out(alice_client: Client) -> None:
    anonymous = Client().get("/").content.decode()
    assert 'href="/accounts/login/"' in anonymous
    html = alice_client.get("/usage/").content.decode()
    assert 'action="/accounts/logout/"' in html and 'href="/chats/new/"' in html
