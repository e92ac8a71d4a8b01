"""The chat admin: list, filters and search on JSON keys, the detail page, and actions."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chatcore.chats.messaging import RUNNERS_GROUP
from chatcore.errors import ClassifiedError, ErrorKind, kind_label
from chatcore.models import Chat, ChatRetryEvent, ChatStatus, MessageRole
from tests.chatcore.chats.test_commands import record_retry_event
from tests.chatcore.persistence.factories import (
    add_message,
    error_payload,
    make_chat,
    make_provider,
    make_user,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:chatcore_chat_changelist")


def _change_url(chat: Chat) -> str:
    return reverse("admin:chatcore_chat_change", args=[chat.pk])


def _listed(response: Any) -> set[int]:
    assert response.status_code == 200
    return {chat.pk for chat in response.context["cl"].result_list}


@pytest.fixture
def dataset() -> dict[str, Chat]:
    alice = make_user(username="alice", email="alice@example.test")
    bob = make_user(username="bob", email="bob@corp.test")
    first, second = make_provider(name="first"), make_provider(name="second")
    return {
        "auth": make_chat(
            owner=alice,
            provider=first,
            title="Auth chat",
            status=ChatStatus.FAILED,
            last_error=error_payload(
                ErrorKind.AUTH, provider="anthropic", status_code=401, detail="invalid x-api-key"
            ),
        ),
        "rate": make_chat(
            owner=bob,
            provider=second,
            title="Rate chat",
            status=ChatStatus.FAILED,
            last_error=error_payload(
                ErrorKind.RATE_LIMIT, provider="openai", status_code=429, retryable=True
            ),
        ),
        "legacy": make_chat(
            owner=alice,
            provider=first,
            title="Old chat",
            status=ChatStatus.FAILED,
            last_error={"message": "legacy upstream failure", "kind": "generic"},
        ),
        "ok": make_chat(owner=bob, provider=second, title="Fine chat"),
        "running": make_chat(
            owner=alice, provider=first, title="Busy chat", status=ChatStatus.RUNNING
        ),
    }


FILTER_CASES = [
    pytest.param({"error_kind": "auth"}, {"auth"}, id="kind_auth"),
    pytest.param({"error_kind": "rate_limit"}, {"rate"}, id="kind_rate_limit"),
    pytest.param({"error_kind": "generic"}, {"legacy"}, id="kind_generic_matches_migrated_legacy"),
    pytest.param({"error_kind": "overloaded"}, set(), id="kind_without_rows"),
    pytest.param({"retryable": "yes"}, {"rate"}, id="retryable_yes"),
    pytest.param(
        {"retryable": "no"}, {"auth", "legacy"}, id="retryable_no_includes_flagless_legacy"
    ),
    pytest.param({"has_error": "yes"}, {"auth", "rate", "legacy"}, id="has_error_yes"),
    pytest.param({"has_error": "no"}, {"ok", "running"}, id="has_error_no"),
    pytest.param({"status__exact": "running"}, {"running"}, id="status"),
    pytest.param({"provider": "second"}, {"rate", "ok"}, id="provider"),
    pytest.param({"error_kind": "auth", "provider": "second"}, set(), id="filters_combine"),
    pytest.param({"q": "Rate chat"}, {"rate"}, id="search_title"),
    pytest.param({"q": "alice"}, {"auth", "legacy", "running"}, id="search_owner_username"),
    pytest.param({"q": "corp.test"}, {"rate", "ok"}, id="search_owner_email"),
    pytest.param({"q": "LEGACY upstream"}, {"legacy"}, id="search_error_message_case_insensitive"),
    pytest.param({"q": "x-api-key"}, {"auth"}, id="search_error_detail"),
]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_filters_and_search(
    staff_client: Client, dataset: dict[str, Chat], params: dict[str, str], expected: set[str]
) -> None:
    if "provider" in params:
        name = params.pop("provider")
        params["provider__id__exact"] = str(
            dataset["rate" if name == "second" else "auth"].provider_id
        )
    response = staff_client.get(CHANGELIST, params)
    assert _listed(response) == {dataset[name].pk for name in expected}


def test_changelist_shows_every_error_kind_as_a_pill(staff_client: Client) -> None:
    provider = make_provider()
    for kind in ErrorKind:
        make_chat(
            provider=provider,
            title=f"{kind} chat",
            status=ChatStatus.FAILED,
            last_error=error_payload(kind, provider="openai", status_code=503),
        )
    response = staff_client.get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    for kind in ErrorKind:
        pill = (
            f'<span class="kind-pill" data-kind-pill data-kind="{kind}">{kind_label(kind)}</span>'
        )
        assert pill in html
    # Humanised, never the raw enum value as the label.
    assert ">rate_limit<" not in html and ">startup_timeout<" not in html


@pytest.mark.parametrize("kind", list(ErrorKind), ids=str)
def test_change_page_renders_every_kind(staff_client: Client, kind: ErrorKind) -> None:
    chat = make_chat(
        status=ChatStatus.FAILED,
        last_error=error_payload(kind, provider="anthropic", status_code=529),
    )
    add_message(chat, MessageRole.USER, "hello there")
    record_retry_event(
        chat,
        1,
        ClassifiedError(kind=kind, provider="anthropic", status_code=529),
        2.0,
        timezone.now(),
    )
    response = staff_client.get(_change_url(chat))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-kind="{kind}">{kind_label(kind)}</span>' in html
    assert "hello there" in html
    # The retry event inline renders its own pill.
    assert html.count(f'data-kind="{kind}"') >= 2


def test_change_page_pretty_prints_the_stored_error(staff_client: Client) -> None:
    payload = error_payload(
        ErrorKind.TIMEOUT, provider="openai", status_code=504, detail="upstream timed out"
    )
    chat = make_chat(status=ChatStatus.FAILED, last_error=payload)
    html = staff_client.get(_change_url(chat)).content.decode()
    block = re.search(r'<pre class="json-block" data-json-block>(.*?)</pre>', html, re.S)
    assert block is not None
    assert "  &quot;kind&quot;: &quot;timeout&quot;,\n" in block.group(1)
    assert "&quot;status_code&quot;: 504" in block.group(1)


def test_change_page_of_malformed_error_renders(staff_client: Client) -> None:
    chat = make_chat(status=ChatStatus.FAILED, last_error=["not", "an", "error"])
    response = staff_client.get(_change_url(chat))
    assert response.status_code == 200
    assert 'data-kind="generic">Unexpected error</span>' in response.content.decode()


SCRIPT = '<script>alert("owned")</script>'


def test_provider_text_is_escaped(staff_client: Client) -> None:
    chat = make_chat(
        title=f"title {SCRIPT}",
        status=ChatStatus.FAILED,
        last_error=error_payload(
            ErrorKind.GENERIC, message=f"msg {SCRIPT}", detail=f"detail {SCRIPT}"
        ),
    )
    add_message(chat, MessageRole.ASSISTANT, f"reply {SCRIPT}")
    for url in (CHANGELIST, _change_url(chat)):
        html = staff_client.get(url).content.decode()
        assert SCRIPT not in html
        assert "&lt;script&gt;alert(" in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:chatcore_chat_changelist",
        "admin:chatcore_chat_change",
        "admin:chatcore_chatretryevent_changelist",
    ],
)
def test_non_staff_is_sent_to_login(client: Client, url_name: str) -> None:
    chat = make_chat(status=ChatStatus.FAILED, last_error=error_payload(ErrorKind.AUTH))
    client.force_login(make_user())
    args = [chat.pk] if url_name.endswith("_change") else []
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permission_is_forbidden(client: Client) -> None:
    user = make_user()
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403


def test_retry_event_admin_lists_events(staff_client: Client) -> None:
    chat = make_chat()
    record_retry_event(
        chat,
        2,
        ClassifiedError(kind=ErrorKind.OVERLOADED, provider="anthropic", status_code=529),
        4.0,
        timezone.now(),
    )
    response = staff_client.get(reverse("admin:chatcore_chatretryevent_changelist"))
    assert response.status_code == 200
    assert 'data-kind="overloaded">Overloaded</span>' in response.content.decode()


def test_the_retry_history_shows_a_fallbacks_model_and_reason(staff_client: Client) -> None:
    chat = make_chat(model="big-model")
    ChatRetryEvent.objects.create(
        chat=chat,
        attempt=2,
        kind="overloaded",
        model="big-model",
        to_model="<b>small-model</b>",
        reason="overloaded",
        delay_ms=1000,
        retrying_at=timezone.now(),
    )
    pages = {
        "chat": reverse("admin:chatcore_chat_change", args=[chat.pk]),
        "events": reverse("admin:chatcore_chatretryevent_changelist"),
    }
    for name, url in pages.items():
        html = staff_client.get(url).content.decode()
        to_model = re.search(r'class="field-to_model"[^>]*>(.*?)</(?:td|p)', html, re.S)
        reason = re.search(r'class="field-reason"[^>]*>(.*?)</(?:td|p)', html, re.S)
        assert to_model and "&lt;b&gt;small-model&lt;/b&gt;" in to_model[1], name
        assert reason and "overloaded" in reason[1], name
        assert "<b>small-model" not in html, name
    filtered = staff_client.get(pages["events"] + "?reason=overloaded").content.decode()
    assert "small-model" in filtered


def test_clear_error_action(staff_client: Client, dataset: dict[str, Chat]) -> None:
    selected = [dataset["auth"].pk, dataset["legacy"].pk]
    response = staff_client.post(
        CHANGELIST, {"action": "clear_error", "_selected_action": selected}
    )
    assert response.status_code == 302
    cleared = Chat.objects.filter(pk__in=selected)
    assert {(chat.last_error, chat.status) for chat in cleared} == {(None, ChatStatus.IDLE)}
    assert Chat.objects.get(pk=dataset["rate"].pk).last_error is not None


def test_requeue_action_reports_skipped_chats(
    staff_client: Client, dataset: dict[str, Chat]
) -> None:
    add_message(dataset["auth"], MessageRole.USER, "please answer")
    selected = [dataset["auth"].pk, dataset["running"].pk]
    response = staff_client.post(
        CHANGELIST, {"action": "requeue_last_turn", "_selected_action": selected}, follow=True
    )
    html = response.content.decode()
    assert "Re-queued 1 chat(s)." in html and "1 chat(s) not re-queued" in html
    auth = Chat.objects.get(pk=dataset["auth"].pk)
    assert (auth.status, auth.last_error) == (ChatStatus.PENDING, None)
    assert Chat.objects.get(pk=dataset["running"].pk).status == ChatStatus.RUNNING


def test_change_page_buttons_post_the_actions(
    staff_client: Client, dataset: dict[str, Chat]
) -> None:
    chat = dataset["auth"]
    add_message(chat, MessageRole.USER, "please answer")
    html = staff_client.get(_change_url(chat)).content.decode()
    assert 'data-admin-action="clear-error"' in html and 'data-admin-action="requeue"' in html

    requeue = reverse("admin:chatcore_chat_requeue", args=[chat.pk])
    assert staff_client.get(requeue).status_code == 405
    response = staff_client.post(requeue)
    assert (response.status_code, response["Location"]) == (302, _change_url(chat))
    assert Chat.objects.get(pk=chat.pk).status == ChatStatus.PENDING

    other = dataset["rate"]
    staff_client.post(reverse("admin:chatcore_chat_clear_error", args=[other.pk]))
    assert Chat.objects.get(pk=other.pk).last_error is None


def test_object_actions_need_change_permission(client: Client, dataset: dict[str, Chat]) -> None:
    viewer = make_user()
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_chat"))
    client.force_login(viewer)
    chat = dataset["auth"]
    assert client.get(_change_url(chat)).status_code == 200
    assert 'data-admin-action="clear-error"' not in client.get(_change_url(chat)).content.decode()
    response = client.post(reverse("admin:chatcore_chat_clear_error", args=[chat.pk]))
    assert response.status_code == 403
    assert Chat.objects.get(pk=chat.pk).last_error is not None


def test_unknown_chat_is_404(staff_client: Client) -> None:
    assert (
        staff_client.post(reverse("admin:chatcore_chat_clear_error", args=[999999])).status_code
        == 404
    )


def test_requeue_wakes_the_runners(staff_client: Client, dataset: dict[str, Chat]) -> None:
    layer = get_channel_layer()
    chat = dataset["auth"]
    add_message(chat, MessageRole.USER, "please answer")

    async def wake_seen_by_a_runner() -> dict[str, Any]:
        # One event loop throughout: a channel belongs to the loop that made it.
        channel = await layer.new_channel()
        await layer.group_add(RUNNERS_GROUP, channel)
        try:
            await sync_to_async(staff_client.post)(
                reverse("admin:chatcore_chat_requeue", args=[chat.pk])
            )
            return dict(await asyncio.wait_for(layer.receive(channel), 5))
        finally:
            await layer.group_discard(RUNNERS_GROUP, channel)

    assert async_to_sync(wake_seen_by_a_runner)() == {"type": "chatd.wake"}
