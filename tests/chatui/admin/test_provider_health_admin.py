"""The "Provider health" admin page: staff only, each provider/model's state, and the last
hour's failures per kind as server-drawn SVG charts with the same numbers as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chatcore.models import BreakerState, ProviderFailureMinute, ProviderHealth
from chatui.admin.health_charts import CHART_HEIGHT, kind_charts
from chatui.gallery.dom import parse_html, select, text_of
from tests.chatcore.persistence.factories import make_provider, make_user

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:chatcore_providerhealth_changelist")


def _minute(ago: int) -> datetime:
    return timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=ago)


def test_anonymous_users_are_sent_to_the_login(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_non_staff_user_is_sent_to_the_login(client: Client) -> None:
    client.force_login(make_user())
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_view_permission_is_refused(client: Client) -> None:
    user = make_user()
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_providerhealth"))
    assert client.get(PAGE).status_code == 200


def test_the_admin_index_links_the_page(staff_client: Client) -> None:
    index = parse_html(staff_client.get(reverse("admin:index")).content.decode())
    assert select(index, f'a[href="{PAGE}"]')


def test_the_empty_state(staff_client: Client) -> None:
    page = parse_html(staff_client.get(PAGE).content.decode())
    assert select(page, "[data-provider-health-page] [data-health-empty]")
    assert not select(page, "[data-health-entry]")


def test_each_provider_and_model_shows_its_state_cooldown_and_waiting(
    staff_client: Client,
) -> None:
    anthropic = make_provider(name="Anthropic <prod>")
    until = timezone.now() + timedelta(minutes=2)
    ProviderHealth.objects.create(
        provider=anthropic,
        model="",
        cooldown_until=until,
        cooldown_kind="rate_limit",
        waiting=7,
    )
    ProviderHealth.objects.create(
        provider=anthropic,
        model="claude-sonnet",
        state=BreakerState.OPEN,
        open_until=until,
        opened_count=2,
        waiting=3,
    )
    page = parse_html(staff_client.get(PAGE).content.decode())
    entries = select(page, "[data-health-entry]")
    assert [(e.attrs["data-model"], e.attrs["data-state"]) for e in entries] == [
        ("", "cooldown"),
        ("claude-sonnet", "open"),
    ]
    assert {e.attrs["data-provider"] for e in entries} == {"Anthropic <prod>"}
    key, model = entries
    cooldown = text_of(select(key, "[data-health-cooldown]")[0])
    assert cooldown == f"until {until.astimezone(UTC):%H:%M:%S} UTC (Rate limit)"
    assert text_of(select(key, "[data-health-waiting]")[0]) == "7"
    state = text_of(select(model, "[data-health-state]")[0])
    assert state == f"Open until {until.astimezone(UTC):%H:%M:%S} UTC (opened 2 times)"
    assert text_of(select(model, "[data-health-waiting]")[0]) == "3"
    assert select(model, "[data-no-failures]")


def test_the_charts_draw_the_last_hours_failures_per_kind(staff_client: Client) -> None:
    provider = make_provider(name="demo")
    for ago, kind, count in [(0, "overloaded", 4), (5, "overloaded", 2), (5, "timeout", 1)]:
        ProviderFailureMinute.objects.create(
            provider=provider, model="demo-outage", minute=_minute(ago), kind=kind, count=count
        )
    # Older than the hour: not drawn.
    ProviderFailureMinute.objects.create(
        provider=provider, model="demo-outage", minute=_minute(61), kind="overloaded", count=50
    )
    html = staff_client.get(PAGE).content.decode()
    assert "<script" not in html.split('id="content-main"')[1], "no chart script"
    page = parse_html(html)
    (entry,) = select(page, "[data-health-entry]")
    assert (entry.attrs["data-model"], entry.attrs["data-state"]) == ("demo-outage", "ok")
    charts = {c.attrs["data-kind"]: c for c in select(entry, "[data-failure-chart]")}
    assert {kind: c.attrs["data-total"] for kind, c in charts.items()} == {
        "overloaded": "6",
        "timeout": "1",
    }
    bars = select(charts["overloaded"], "svg rect")
    assert sorted(int(bar.attrs["data-count"]) for bar in bars) == [2, 4]
    tallest = max(bars, key=lambda bar: int(bar.attrs["height"]))
    assert tallest.attrs["data-count"] == "4"
    (svg,) = select(charts["overloaded"], "svg")
    assert svg.attrs["role"] == "img"
    title, desc = (svg.attrs["aria-labelledby"]).split()
    assert text_of(select(svg, f"#{title}")[0]) == "Overloaded failures per minute, last 60 minutes"
    assert text_of(select(svg, f"#{desc}")[0]).startswith(
        "6 overloaded failures in the last 60 minutes, at most 4 in one minute"
    )
    (table,) = select(entry, "[data-failure-table]")
    header = [text_of(th) for th in select(table, "thead th")]
    assert header == ["Minute (UTC)", "Overloaded", "Timeout"]
    rows = [
        [text_of(cell) for cell in row.children if not isinstance(cell, str)]
        for row in select(table, "tbody tr")
    ]
    assert rows == [
        [f"{_minute(0):%H:%M}", "4", "0"],
        [f"{_minute(5):%H:%M}", "2", "1"],
    ]


NOW = datetime(2026, 5, 1, 12, 30, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([], [], id="nothing_no_chart"),
        pytest.param(
            [(NOW.replace(second=0), "timeout", 3)],
            [("timeout", 3, [(177, CHART_HEIGHT - 1 - 30, 30)])],
            id="this_minute_is_the_last_bar_full_height",
        ),
        pytest.param(
            [(NOW - timedelta(minutes=59), "timeout", 1), (NOW, "timeout", 2)],
            [("timeout", 3, [(0, CHART_HEIGHT - 1 - 15, 15), (177, CHART_HEIGHT - 1 - 30, 30)])],
            id="an_hour_ago_is_the_first_bar_half_height",
        ),
        pytest.param(
            [(NOW - timedelta(minutes=60), "timeout", 9), (NOW + timedelta(minutes=1), "x", 1)],
            [],
            id="older_and_future_minutes_are_left_out",
        ),
        pytest.param(
            [(NOW, "rate_limit", 1), (NOW, "overloaded", 100)],
            [
                ("overloaded", 100, [(177, CHART_HEIGHT - 1 - 30, 30)]),
                ("rate_limit", 1, [(177, CHART_HEIGHT - 1 - 30, 30)]),
            ],
            id="largest_first_each_scaled_to_its_own_peak",
        ),
        pytest.param(
            [(NOW, "generic", 1), (NOW - timedelta(minutes=1), "generic", 100)],
            [("generic", 101, [(174, CHART_HEIGHT - 1 - 30, 30), (177, CHART_HEIGHT - 2, 1)])],
            id="a_small_count_is_never_invisible",
        ),
    ],
)
def test_kind_charts_geometry(
    rows: list[tuple[datetime, str, int]], expected: list[tuple[str, int, list[tuple]]]
) -> None:
    charts = kind_charts(rows, now=NOW)
    assert [(c.kind, c.total, [(b.x, b.y, b.height) for b in c.bars]) for c in charts] == expected
