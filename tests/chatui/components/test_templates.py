"""Each component partial renders alone from a plain dict, with the stable hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template

from chatcore.contract import ChatError, ChatRetry, Phase, format_utc
from chatcore.errors import ClassifiedError, ErrorKind, kind_label
from chatui.components import PageState, callout_context, region_context
from chatui.gallery.dom import Node, parse_html, select, text_of
from chatui.templatetags import chat_components
from chatui.templatetags.chat_components import COMPONENT_NAMES, render_component


def _one(html: str, selector: str) -> Node:
    found = select(parse_html(html), selector)
    assert len(found) == 1, f"{len(found)} matches of {selector} in {html}"
    return found[0]


def test_all_lists_the_public_names() -> None:
    assert set(chat_components.__all__) == {"COMPONENT_NAMES", "render_component"}


def test_every_component_name_has_a_template() -> None:
    for name in COMPONENT_NAMES:
        render_component(name, {})


def test_unknown_component_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown component"):
        render_component("../base", {})


@pytest.mark.parametrize("kind", [*ErrorKind, "tool_budget_exceeded"])
def test_kind_pill_shows_the_humanised_label(kind: str) -> None:
    html = render_component("kind_pill", {"kind": kind, "label": kind_label(kind)})
    pill = _one(html, "[data-kind-pill]")
    assert text_of(pill) == kind_label(kind)
    assert pill.attrs["data-kind"] == kind
    assert "_" not in text_of(pill)


@pytest.mark.parametrize(
    ("seconds", "verb", "text"),
    [
        pytest.param(3, "Retrying", "Retrying in 3s", id="retrying"),
        pytest.param(59, "Reconnecting", "Reconnecting in 59s", id="reconnecting"),
        pytest.param(600, "Retrying", "Retrying in 600s", id="ten_minutes_in_seconds"),
    ],
)
def test_countdown_renders_the_starting_value(seconds: int, verb: str, text: str) -> None:
    deadline = (datetime.now(UTC) + timedelta(seconds=seconds, milliseconds=-200)).isoformat()
    node = _one(
        render_component("countdown", {"deadline": deadline, "verb": verb}), "[data-countdown]"
    )
    assert text_of(node) == text
    assert node.attrs["data-deadline"] == deadline
    assert "hidden" not in node.attrs


def test_countdown_is_hidden_at_zero() -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    node = _one(
        render_component("countdown", {"deadline": past, "verb": "Retrying"}), "[data-countdown]"
    )
    assert "hidden" in node.attrs


def _retrying_html(**retry: object) -> str:
    classified = ClassifiedError(
        kind="overloaded", provider="anthropic", status_code=529, retryable=True
    )
    payload = ChatRetry.from_classified(
        classified, attempt=3, delay=30, now=datetime.now(UTC)
    ).to_json()
    payload.update(retry)
    return render_component("chat_status_callout", callout_context("retrying", payload))


def test_retrying_callout_hooks() -> None:
    html = _retrying_html()
    callout = _one(html, "[data-callout]")
    assert (callout.attrs["data-phase"], callout.attrs["data-kind"]) == ("retrying", "overloaded")
    assert text_of(_one(html, "[data-callout-title]")) == "Service overloaded"
    assert text_of(_one(html, "[data-kind-pill]")) == "Overloaded"
    assert text_of(_one(html, "[data-callout-message]")) == "Anthropic is temporarily overloaded."
    assert text_of(_one(html, "[data-attempt]")) == "Attempt 3"
    assert text_of(_one(html, "[data-status-code]")) == "HTTP 529"
    assert text_of(_one(html, "[data-countdown]")) in {"Retrying in 30s", "Retrying in 29s"}
    assert _one(html, "[data-status-link]").attrs["href"] == "https://status.anthropic.com"
    assert text_of(_one(html, "button[data-retry-now]")) == "Retry now"
    assert text_of(_one(html, "button[data-stop]")) == "Stop"
    assert "disabled" not in _one(html, "[data-retry-now]").attrs
    assert not select(parse_html(html), "[data-try-again]")


def test_retry_now_disabled_until_the_floor() -> None:
    floor = format_utc(datetime.now(UTC) + timedelta(seconds=20))
    button = _one(_retrying_html(not_before=floor), "[data-retry-now]")
    assert "disabled" in button.attrs
    assert button.attrs["data-not-before"] == floor


@pytest.mark.parametrize(
    ("status_code", "chip"),
    [
        pytest.param(503, "HTTP 503", id="chip_with_status"),
        pytest.param(0, None, id="no_chip_without"),
    ],
)
def test_failed_callout_status_chip(status_code: int, chip: str | None) -> None:
    payload = ChatError.from_classified(
        ClassifiedError(kind="timeout", message="m", status_code=status_code)
    )
    html = render_component("chat_status_callout", callout_context("failed", payload))
    chips = select(parse_html(html), "[data-status-code]")
    assert [text_of(node) for node in chips] == ([chip] if chip else [])


@pytest.mark.parametrize(
    ("kind", "mono"),
    [
        pytest.param("generic", True, id="generic_detail_is_monospace"),
        pytest.param("config", False, id="other_detail_is_prose"),
    ],
)
def test_detail_line_is_muted_and_monospace_only_for_generic(kind: str, mono: bool) -> None:
    html = render_component(
        "chat_status_callout",
        callout_context("failed", {"kind": kind, "message": "m", "detail": "d"}),
    )
    classes = _one(html, "[data-detail]").attrs["class"].split()
    assert "callout-detail" in classes
    assert ("callout-detail--mono" in classes) is mono


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param('<img src=x onerror="alert(1)">', id="img_onerror"),
        pytest.param("</p><b>x</b>", id="closing_tags"),
        pytest.param("{{ settings.SECRET_KEY }} {% now 'Y' %}", id="template_syntax"),
    ],
)
def test_provider_text_is_always_escaped(text: str) -> None:
    payload = {"kind": "generic", "message": text, "detail": text}
    html = render_component("chat_status_callout", callout_context("failed", payload))
    root = parse_html(html)
    assert not select(root, "script") and not select(root, "img") and not select(root, "b")
    assert text_of(_one(html, "[data-detail]")) == text
    assert text_of(_one(html, "[data-callout-message]")) == text
    message = render_component("message", {"role": "assistant", "content": text})
    assert text_of(_one(message, "[data-message-content]")) == text
    assert not select(parse_html(message), "script")


def test_failed_callout_never_shows_retryable_or_a_provider_row() -> None:
    for kind in ErrorKind:
        payload = ChatError.from_classified(
            ClassifiedError(kind=kind, provider="anthropic", message="m", retryable=True)
        )
        html = render_component("chat_status_callout", callout_context("failed", payload))
        text = text_of(parse_html(html))
        assert "Retryable" not in text and "retryable" not in text
        assert "Provider anthropic" not in text and "anthropic" not in text


def test_region_has_a_polite_live_region_outside_the_countdown() -> None:
    classified = ClassifiedError(
        kind="rate_limit", provider="openai", status_code=429, retryable=True
    )
    state = PageState(
        retry=ChatRetry.from_classified(classified, attempt=2, delay=9, now=datetime.now(UTC))
    )
    html = render_component("callout_region", region_context(state))
    root = parse_html(html)
    live = select(root, '[data-callout-region] [aria-live="polite"]')
    assert len(live) == 1
    assert live[0].attrs["aria-atomic"] == "true"
    assert text_of(live[0]) == "Rate limited. OpenAI is rate limiting requests. Attempt 2."
    assert not select(live[0], "[data-countdown]")
    assert not select(root, "[aria-live] [data-countdown]")
    assert select(root, "[data-callout-slot] [data-callout]")
    template = _one(html, 'template[data-callout-template="reconnecting"]')
    assert select(template, '[data-callout][data-phase="reconnecting"] [data-countdown]')


def test_region_without_a_callout_is_an_empty_slot() -> None:
    html = render_component("callout_region", region_context(PageState(phase=Phase.STREAMING)))
    assert not select(parse_html(html), "[data-callout-slot] [data-callout]")


def test_slot_for_websocket_swap_is_out_of_band() -> None:
    html = render_component(
        "callout_slot", {"callout": callout_context("starting", {}), "oob": True}
    )
    slot = _one(html, "[data-callout-slot]")
    assert slot.attrs["hx-swap-oob"] == "true"
    assert slot.attrs["id"] == "chat-callout-slot"


@pytest.mark.parametrize(
    ("context", "role", "provisional"),
    [
        pytest.param({"role": "user", "content": "hi"}, "user", False, id="user"),
        pytest.param({"role": "assistant", "content": "yo"}, "assistant", False, id="assistant"),
        pytest.param(
            {"role": "assistant", "content": "y", "provisional": True, "dom_id": "p"},
            "assistant",
            True,
            id="provisional_assistant",
        ),
    ],
)
def test_message_hooks(context: dict[str, object], role: str, provisional: bool) -> None:
    node = _one(render_component("message", context), "[data-message]")
    assert node.attrs["data-role"] == role
    assert ("data-provisional" in node.attrs) is provisional


@pytest.mark.parametrize(
    ("ready", "disabled"),
    [
        pytest.param(False, True, id="disabled_until_socket_open"),
        pytest.param(True, False, id="ready"),
    ],
)
def test_composer(ready: bool, disabled: bool) -> None:
    html = render_component("composer", {"ready": ready, "ws_send": True})
    root = parse_html(html)
    form = _one(html, "form[data-composer]")
    assert "ws-send" in form.attrs
    box = _one(html, '[data-composer] textarea[name="content"]')
    assert ("disabled" in box.attrs) is disabled
    assert ("disabled" in _one(html, "[data-composer-send]").attrs) is disabled
    label = _one(html, "[data-composer] label")
    assert label.attrs["for"] == box.attrs["id"]
    assert select(root, "[data-composer]")


def test_template_tags_render_from_raw_payloads() -> None:
    template = Template(
        "{% load chat_components %}{% kind_pill 'rate_limit' %}"
        "{% chat_status_callout 'failed' error %}{{ 'startup_timeout'|kind_label }}"
        "{% callout_region state %}"
    )
    html = template.render(
        Context(
            {
                "error": {"kind": "missing_key", "message": "Key gone."},
                "state": {"phase": "starting", "started_at": datetime.now(UTC).isoformat()},
            }
        )
    )
    root = parse_html(html)
    assert [text_of(node) for node in select(root, "[data-kind-pill]")] == [
        "Rate limit",
        "Missing API key",
    ]
    assert "Startup timeout" in text_of(root)
    titles = [text_of(node) for node in select(root, "[data-callout-title]")]
    assert titles[:2] == ["Chat interrupted", "Thinking…"]
