"""The operator's admin in a real Chromium: retry events name their provider, filters speak
in the pill's words, and the chat list filters by provider.

The data is made in the live server's own database through ``manage.py shell``
(the server runs in another process, on a database of its own).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.browser

SETUP = """
from datetime import UTC, datetime
from django.contrib.auth import get_user_model
from chatcore.chats import lifecycle
from chatcore.contract import ChatRetry
from chatcore.errors import ClassifiedError
from chatcore.models import Chat, ChatStatus, Provider
owner = get_user_model().objects.create_user("{tag}-owner")
get_user_model().objects.create_superuser("{tag}-admin", password="admin-pw")
for name, kind, error in (("{tag}-demo", "fake", "rate_limit"), ("{tag}-prod", "openai", "timeout")):
    provider = Provider.objects.create(name=name, kind=kind)
    chat = Chat.objects.create(owner=owner, provider=provider, title=name + " chat", model="m",
                               status=ChatStatus.RUNNING, lease_owner="runner-x")
    status = 429 if error == "rate_limit" else 0
    classified = ClassifiedError(kind=error, status_code=status)
    retry = ChatRetry.from_classified(classified, attempt=1, delay=2.0, now=datetime.now(UTC))
    lifecycle.mark_retrying(chat.pk, "runner-x", retry=retry, classified=classified, seq=1,
                            clear_chain=False)
    # Done with: the live server's runner must not pick the turn up.
    Chat.objects.filter(pk=chat.pk).update(status=ChatStatus.IDLE, lease_owner="", live_state={{}})
"""


@pytest.fixture
def admin_page(browser: Any, live_server_proc: Any, tag: str) -> Iterator[Any]:
    """A page signed in as a superuser (an operator who may see chats and retry events)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server_proc.url}/admin/login/?next=/admin/")
        page.fill("#id_username", f"{tag}-admin")
        page.fill("#id_password", "admin-pw")
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server_proc.url}/admin/")
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def tag(live_server_proc: Any) -> str:
    tag = f"adm{uuid.uuid4().hex[:6]}"
    live_server_proc.manage("shell", "-c", SETUP.format(tag=tag))
    return tag


def test_retry_events_show_provider_and_humanised_filters(
    admin_page: Any, live_server_proc: Any, tag: str
) -> None:
    page = admin_page
    page.goto(f"{live_server_proc.url}/admin/chatcore/chatretryevent/?q={tag}")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    providers = sorted(rows.locator("td.field-provider").all_inner_texts())
    assert providers == [f"{tag}-demo", f"{tag}-prod"]
    statuses = sorted(rows.locator("td.field-http_status").all_inner_texts())
    assert statuses == ["-", "429"]

    kinds = page.locator('details[data-filter-title="kind"] a').all_inner_texts()
    assert "Rate limit" in kinds and "Startup timeout" in kinds
    assert not [k for k in kinds if "_" in k]
    page.locator('details[data-filter-title="provider"] a', has_text=f"{tag}-demo").click()
    page.wait_for_url("**provider=*")
    assert page.locator("#result_list tbody td.field-provider").all_inner_texts() == [f"{tag}-demo"]


def test_chat_list_filters_by_provider(admin_page: Any, live_server_proc: Any, tag: str) -> None:
    page = admin_page
    page.goto(f"{live_server_proc.url}/admin/chatcore/chat/?q={tag}")
    assert page.locator("#result_list tbody tr").count() == 2
    page.locator('details[data-filter-title="provider"] a', has_text=f"{tag}-prod").click()
    page.wait_for_url("**provider__id__exact=*")
    titles = page.locator("#result_list tbody th.field-__str__").all_inner_texts()
    assert titles == [f"{tag}-prod chat"]
    # It never failed: no "?" in its retryable column, no status.
    assert page.locator("#result_list tbody td.field-retryable").inner_text().strip() == ""


def test_an_operator_adds_a_model_fallback_and_a_bad_one_is_refused(
    admin_page: Any, live_server_proc: Any, tag: str
) -> None:
    page = admin_page
    page.goto(f"{live_server_proc.url}/admin/chatcore/provider/?q={tag}-prod")
    page.locator("#result_list a", has_text=f"{tag}-prod").click()
    page.fill("#id_model_list", "big-model\nsmall-model")
    page.locator(".add-row a").click()
    page.fill("#id_fallbacks-0-model", "big-model")
    page.fill("#id_fallbacks-0-to_model", "big-model")
    page.locator("input[name=_continue]").click()
    error = page.locator("#fallbacks-0 .errorlist, .inline-related .errorlist").first
    assert "cannot fall back to itself" in error.inner_text()

    page.fill("#id_fallbacks-0-to_model", "small-model")
    page.check("#id_fallbacks-0-on_context_length")
    page.locator("input[name=_continue]").click()
    page.wait_for_selector(".messagelist .success")
    assert page.input_value("#id_fallbacks-0-model") == "big-model"
    assert page.input_value("#id_fallbacks-0-to_model") == "small-model"
    assert page.is_checked("#id_fallbacks-0-on_overloaded")
    assert page.is_checked("#id_fallbacks-0-on_context_length")
    assert not page.is_checked("#id_fallbacks-0-on_rate_limit")


HEALTH_SETUP = """
from datetime import timedelta
from django.utils import timezone
from chatcore.models import Provider, ProviderFailureMinute, ProviderHealth
provider = Provider.objects.get(name="{tag}-demo")
now = timezone.now().replace(second=0, microsecond=0)
ProviderHealth.objects.create(provider=provider, model="demo-outage", state="open",
                              open_until=timezone.now() + timedelta(seconds=60), waiting=3)
for ago, kind, count in ((0, "overloaded", 5), (3, "overloaded", 2), (3, "timeout", 1)):
    ProviderFailureMinute.objects.create(provider=provider, model="demo-outage",
                                         minute=now - timedelta(minutes=ago), kind=kind, count=count)
"""


def test_the_provider_health_page_draws_its_charts_under_the_csp(
    admin_page: Any, live_server_proc: Any, tag: str
) -> None:
    live_server_proc.manage("shell", "-c", HEALTH_SETUP.format(tag=tag))
    admin_page.goto(f"{live_server_proc.url}/admin/")
    admin_page.click("a[href='/admin/chatcore/providerhealth/']")
    entry = f'[data-health-entry][data-provider="{tag}-demo"][data-model="demo-outage"]'
    admin_page.wait_for_selector(entry)
    assert admin_page.get_attribute(entry, "data-state") == "open"
    chart = admin_page.locator(f'{entry} [data-failure-chart][data-kind="overloaded"] svg')
    box = chart.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 20, "drawn, at its size"
    bars = chart.locator("rect")
    assert bars.count() == 2
    # The bars take their colour from the stylesheet (no inline style): not transparent.
    fill = bars.first.evaluate("el => getComputedStyle(el).fill")
    assert fill not in ("none", "rgba(0, 0, 0, 0)")
    admin_page.click(f"{entry} details.health-table summary")
    assert admin_page.locator(f"{entry} [data-failure-table] tbody tr").count() == 2
