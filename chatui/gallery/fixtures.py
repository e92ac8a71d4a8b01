"""Turning a story's fixture into the payload and partial context the live UI uses.

Error fixtures name a classification (`kind`, `provider`, `status_code`,
`detail`, ...); the payload then comes from `chatcore.contract` exactly as the
runner publishes it (`ChatError` / `ChatRetry.from_classified`), so the gallery
shows the server's real prose. Times are relative (`delay`, `started_ago`) and
resolved at render time, so countdowns are live.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from chatcore.chats import ChatSummary, LiveStatus, Snippet
from chatcore.contract import ChatError, ChatRetry, Phase, format_utc
from chatcore.errors import (
    ClassifiedError,
    ErrorKind,
    kind_label,
    normalize_provider,
    terminal_message,
)
from chatui.components import callout_context
from chatui.gallery.stories import Story
from chatui.markdown import StreamRenderer, render_markdown
from chatui.provider_status import read_health, status_context
from chatui.sidebar import item_context
from chatui.templatetags.chat_components import render_component

__all__ = ["Rendered", "build_payload", "render_story"]

# Kinds a classification marks retryable by default; fixtures may override.
_RETRYABLE = frozenset(
    {ErrorKind.OVERLOADED, ErrorKind.RATE_LIMIT, ErrorKind.TIMEOUT, ErrorKind.STARTUP_TIMEOUT}
)
_DETAIL_SENTENCE = "The upstream service returned an error while processing this request. "


@dataclasses.dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered story: its HTML and the raw payload(s) it was rendered from."""

    html: SafeString
    payloads: tuple[Mapping[str, Any], ...]


def _long_detail(length: int) -> str:
    """A detail of `length` characters, cut the way the classifier cuts (499 + "…")."""
    text = _DETAIL_SENTENCE * (length // len(_DETAIL_SENTENCE) + 2)
    return text[: length - 1] + "…"


def _classified(spec: Mapping[str, Any]) -> ClassifiedError:
    kind = str(spec.get("kind", ErrorKind.GENERIC))
    status = int(spec.get("status_code", 0))
    retryable = spec.get("retryable", kind in _RETRYABLE or status == 500)
    detail = str(spec.get("detail", ""))
    if spec.get("detail_length"):
        detail = _long_detail(int(spec["detail_length"]))
    classified = ClassifiedError(
        kind=kind,
        provider=normalize_provider(spec.get("provider")),
        detail=detail,
        retryable=bool(retryable),
        status_code=status,
        retry_after=float(spec.get("retry_after", 0)),
    )
    return dataclasses.replace(classified, message=terminal_message(classified))


def build_payload(fixture: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """The wire payload a callout fixture stands for (ChatRetry, ChatError, ...)."""
    phase = fixture.get("phase")
    payload: dict[str, Any]
    if phase == "retrying":
        retry = fixture.get("retry", {})
        not_before = None
        if "not_before_in" in retry:
            not_before = now + timedelta(seconds=float(retry["not_before_in"]))
        payload = ChatRetry.from_classified(
            _classified(fixture.get("error", {})),
            attempt=int(retry.get("attempt", 1)),
            delay=float(retry.get("delay", 5)),
            now=now,
            not_before=not_before,
        ).to_json()
    elif phase == "failed":
        payload = ChatError.from_classified(_classified(fixture.get("error", {}))).to_json()
    elif phase == "reconnecting":
        reconnect = fixture.get("reconnect", {})
        deadline = now + timedelta(seconds=float(reconnect.get("delay", 5)))
        payload = {"attempt": int(reconnect.get("attempt", 1)), "deadline": format_utc(deadline)}
    elif phase == "starting":
        payload = {
            "started_at": format_utc(now - timedelta(seconds=float(fixture.get("started_ago", 0))))
        }
    else:
        raise ValueError(f"unknown callout phase {phase!r}")
    payload.update(fixture.get("payload", {}))  # literal fields win (e.g. our own limit's text)
    return payload


def _callout(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    payload = build_payload(fixture, now=now)
    callout = callout_context(str(fixture["phase"]), payload, now=now)
    # The whole region, as on the live page: live region, slot and the
    # reconnecting template the browser clones when the socket drops.
    reconnecting = callout_context("reconnecting", {"attempt": 1}, now=now)
    return "callout_region", {"callout": callout, "reconnecting": reconnecting}, payload


def _kind_pill(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    kind = str(fixture.get("kind", ""))
    return "kind_pill", {"kind": kind, "label": kind_label(kind)}, {"kind": kind}


def _countdown(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    deadline = format_utc(now + timedelta(seconds=float(fixture.get("deadline_in", 0))))
    context = {"deadline": deadline, "verb": str(fixture.get("verb", "Retrying"))}
    return "countdown", context, context


def _message(fixture: Mapping[str, Any]) -> dict[str, Any]:
    """A message fixture as the live transcript renders it: answers as markdown, and a
    provisional answer through the same streaming renderer as the chat socket."""
    context = dict(fixture)
    content = str(context.get("content", ""))
    if context.get("provisional"):
        stream = StreamRenderer()
        stream.feed(content)
        context["stream_done"] = mark_safe("".join(stream.done_html))  # sanitised
        context["stream_tail"] = mark_safe(stream.tail_html)
    elif context.get("role") == "assistant" and "html" not in context:
        context["html"] = render_markdown(content)
    return context


def _message_story(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    context = _message({key: value for key, value in fixture.items() if key != "also"})
    return "message", context, dict(fixture)


def _transcript_story(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    context = {
        "messages": [_message(message) for message in fixture.get("messages", [])],
        "provisional": _message(fixture["provisional"]) if fixture.get("provisional") else None,
    }
    return "transcript", context, dict(fixture)


def _composer(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    """The composer, with the live page's turn controls (Stop while a turn runs)."""
    context = {key: value for key, value in fixture.items() if key not in ("also", "turn_active")}
    active = bool(fixture.get("turn_active"))
    context["controls"] = render_to_string(
        "chats/_turn_controls.html", {"show_stop": active, "active": active}
    )
    return "composer", context, dict(fixture)


def _sidebar_item(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    """A sidebar entry (in its list, as the sidebar shows it) for a chat in some status.

    ``status``: ``{phase, delay, attempt, error: {kind, ...}}``; a retry's payload
    comes from ``ChatRetry.from_classified`` as the runner publishes it."""
    spec = dict(fixture.get("status", {}))
    phase = Phase.parse(spec.get("phase"))
    retry = None
    kind = ""
    if phase is Phase.RETRYING:
        retry = ChatRetry.from_classified(
            _classified(spec.get("error", {})),
            attempt=int(spec.get("attempt", 1)),
            delay=float(spec.get("delay", 5)),
            now=now,
        )
        kind = retry.kind
    elif phase is Phase.FAILED:
        kind = ChatError.from_classified(_classified(spec.get("error", {}))).kind
    summary = ChatSummary(
        chat_id=int(fixture.get("chat_id", 1)),
        title=str(fixture.get("title", "")),
        status=LiveStatus(phase, retry, kind),
        activity=now - timedelta(minutes=float(fixture.get("active_ago", 5))),
    )
    snippet = fixture.get("snippet")
    context = item_context(
        summary,
        current=summary.chat_id if fixture.get("current") else 0,
        snippet=Snippet(**snippet) if isinstance(snippet, Mapping) else None,
    )
    return "sidebar_items", {"items": [context]}, summary.to_json()


def _provider_status(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
    """A status line from a ``health.changed`` payload, as a chat page (or, with
    ``picker: true``, the new-chat picker) shows it; ``until_in`` is seconds from now."""
    health = {key: value for key, value in fixture.items() if key not in ("picker", "until_in")}
    if "until_in" in fixture:
        health["until"] = format_utc(now + timedelta(seconds=float(fixture["until_in"])))
    view = read_health(health)
    line = status_context(view, show_model=bool(fixture.get("picker")), now=now)
    return "provider_status", line or {}, health


def _plain(name: str) -> Callable[[Mapping[str, Any], datetime], tuple[str, dict[str, Any], Any]]:
    def build(fixture: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any], Any]:
        context = {key: value for key, value in fixture.items() if key != "also"}
        return name, context, context

    return build


_BUILDERS: dict[str, Callable[[Mapping[str, Any], datetime], tuple[str, dict[str, Any], Any]]] = {
    "chat_status_callout": _callout,
    "kind_pill": _kind_pill,
    "countdown": _countdown,
    "message": _message_story,
    "transcript": _transcript_story,
    "composer": _composer,
    "notice": _plain("notice"),
    "sidebar_item": _sidebar_item,
    "provider_status": _provider_status,
}


def render_story(story: Story, *, now: datetime | None = None) -> Rendered:
    """The story's HTML through the live partials, plus any companion components."""
    moment = now or datetime.now(UTC)
    parts = [(story.component, story.fixture)]
    parts += [
        (str(extra["component"]), extra.get("fixture", {}))
        for extra in story.fixture.get("also", [])
    ]
    html: list[str] = []
    payloads: list[Mapping[str, Any]] = []
    for component, fixture in parts:
        partial, context, payload = _BUILDERS[component](fixture, moment)
        html.append(render_component(partial, context))
        payloads.append(payload)
    return Rendered(mark_safe("\n".join(html)), tuple(payloads))  # parts are escaped partials
