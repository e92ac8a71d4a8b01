"""Hostile query values in the admin's own chat filters: Django's "bad lookup" answer, no 500.

A NUL anywhere in a query string is refused before any view (test_nul_query.py).
"""

from __future__ import annotations

import pytest

from tests.security.conftest import World, logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("<script>alert(1)</script>", id="markup"),
        pytest.param("not_a_kind", id="unknown_kind"),
    ],
)
def test_an_unknown_error_kind_filter_is_a_bad_lookup(world: World, value: str) -> None:
    response = logged_in(world.staff).get("/admin/chatcore/chat/", {"error_kind": value})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"error_kind": "auth"}, id="known_kind"),
        pytest.param({"retryable": "maybe"}, id="retryable_ignores_unknown_values"),
        pytest.param({"has_error": "<b>"}, id="has_error_ignores_unknown_values"),
        pytest.param({"q": "a'\"<b>"}, id="search_with_quotes_and_markup"),
    ],
)
def test_other_filter_values_list_the_chats(world: World, params: dict[str, str]) -> None:
    response = logged_in(world.staff).get("/admin/chatcore/chat/", params)
    assert response.status_code == 200
