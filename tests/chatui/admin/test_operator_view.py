"""What an operator reads in the admin: providers named, kinds humanised, no made-up values.

Retry events name the configured provider (the demo's fake provider too), every
kind filter shows the pill's label, a missing status is "-" (not 0), chats can
be filtered by provider, and a chat that never failed has a blank "retryable".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from chatcore.errors import ClassifiedError, ErrorKind, kind_label
from chatcore.models import ChatStatus
from tests.chatcore.chats.test_commands import record_retry_event
from tests.chatcore.persistence.factories import error_payload, make_chat, make_provider

pytestmark = pytest.mark.django_db

RETRIES = reverse("admin:chatcore_chatretryevent_changelist")
CHATS = reverse("admin:chatcore_chat_changelist")
AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _cells(html: str, field: str) -> list[str]:
    """The text of every list cell of one column (Django marks them ``field-<name>``)."""
    found = re.findall(rf'<t[dh] class="field-{field}[^"]*">(.*?)</t[dh]>', html, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def _filter_choices(html: str, title: str) -> list[str]:
    block = re.search(rf'<details data-filter-title="{title}".*?</details>', html, re.S)
    assert block, f"no {title!r} filter"
    return [
        re.sub(r"\s+", " ", c).strip()
        for c in re.findall(r"<a[^>]*>(.*?)</a>", block.group(0), re.S)
    ]


@pytest.fixture
def retries() -> None:
    demo = make_chat(provider=make_provider(name="demo", kind="fake"))
    prod = make_chat(provider=make_provider(name="OpenAI production", kind="openai"))
    # The fake provider is anonymous in what users read: the classification has no provider.
    record_retry_event(demo, 1, ClassifiedError(kind=ErrorKind.RATE_LIMIT, status_code=429), 3, AT)
    record_retry_event(prod, 1, ClassifiedError(kind=ErrorKind.TIMEOUT, provider="openai"), 1, AT)


def test_retry_events_name_the_provider_and_show_no_status_as_a_dash(
    staff_client: Client, retries: None
) -> None:
    html = staff_client.get(RETRIES).content.decode()

    assert sorted(_cells(html, "provider")) == ["OpenAI production", "demo"]
    assert sorted(_cells(html, "http_status")) == ["-", "429"]


def test_retry_event_filters_are_humanised_and_list_the_providers(
    staff_client: Client, retries: None
) -> None:
    html = staff_client.get(RETRIES).content.decode()

    kinds = _filter_choices(html, "kind")
    assert kinds == ["All", *(kind_label(kind) for kind in ErrorKind)]
    assert "rate_limit" not in kinds and "Rate limit" in kinds
    assert _filter_choices(html, "provider") == ["All", "OpenAI production", "demo"]
    filtered = staff_client.get(RETRIES, {"kind": "rate_limit"}).content.decode()
    assert _cells(filtered, "provider") == ["demo"]


def test_chats_filter_by_provider_and_leave_blank_what_never_failed(staff_client: Client) -> None:
    first, second = make_provider(name="first"), make_provider(name="second")
    make_chat(provider=first, title="never failed")
    make_chat(
        provider=second,
        title="timed out",
        status=ChatStatus.FAILED,
        last_error=error_payload(ErrorKind.TIMEOUT, status_code=0, retryable=True),
    )

    html = staff_client.get(CHATS).content.decode()
    assert _filter_choices(html, "provider") == ["All", "first", "second"]
    rows = dict(
        zip(
            _cells(html, "__str__"),
            zip(_cells(html, "retryable"), _cells(html, "http_status"), strict=True),
            strict=True,
        )
    )
    assert rows["never failed"] == ("", "-")  # no "?" and no made-up status
    assert rows["timed out"][1] == "-"  # a timeout has no HTTP status, not 0
    assert "icon-yes" in html  # the failed chat's retryable flag is the admin's yes icon
    only_second = staff_client.get(CHATS, {"provider__id__exact": second.pk}).content.decode()
    assert _cells(only_second, "__str__") == ["timed out"]
