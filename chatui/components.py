"""View-model helpers for the chat components.

The component templates in `templates/components/` render plain dicts. This
module holds the small pure rules that decide what they show (which callout
wins for a page's state, the title for a kind and callout, the provider status
pages, when "View usage" appears) and builds those dicts from the `ChatError` /
`ChatRetry` values of `chatcore.contract`. The consumer, the pages and the
gallery all go through these functions, so every surface shows the same thing.
Prose about providers comes from the payloads; this module only adds the UI's
own short titles and labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chatcore.contract import ChatError, ChatRetry, Phase, format_utc, parse_utc
from chatcore.errors import ErrorKind, kind_label, normalize_provider, provider_display_name
from chatcore.health.fallback import fallback_message

__all__ = [
    "DELAYED_START_SECONDS",
    "DELAYED_START_TITLE",
    "FALLBACK_TITLE",
    "STATUS_PAGES",
    "THINKING_TITLE",
    "CalloutChoice",
    "CalloutState",
    "PageState",
    "callout_context",
    "callout_title",
    "pill_repeats_title",
    "region_context",
    "seconds_until",
    "select_callout",
    "shared_wait_title",
    "shows_usage_link",
    "status_page_url",
]

THINKING_TITLE = "Thinking…"
DELAYED_START_TITLE = "Response startup is taking longer than expected"
# After this long without a first chunk the starting callout says so.
DELAYED_START_SECONDS = 15
RECONNECTING_TITLE = "Connection lost"
FALLBACK_TITLE = "Switching model"
RECONNECTING_MESSAGE = "The live connection to the server dropped. Nothing you sent is lost."
MISSING_KEY_HINT = "Send your message again to continue with the current key."


class CalloutState(StrEnum):
    """Which callout a chat page shows (its `data-phase`)."""

    RETRYING = "retrying"
    FAILED = "failed"
    RECONNECTING = "reconnecting"
    STARTING = "starting"


_RETRYING_TITLES: dict[str, str] = {
    ErrorKind.OVERLOADED: "Service overloaded",
    ErrorKind.RATE_LIMIT: "Rate limited",
    ErrorKind.TIMEOUT: "Request timed out",
    ErrorKind.STARTUP_TIMEOUT: "Startup timed out",
    ErrorKind.AUTH: "Authentication failed",
    ErrorKind.CONFIG: "Configuration error",
}
_FAILED_TITLES: dict[str, str] = {ErrorKind.MISSING_KEY: "Chat interrupted"}

# Public status pages of the providers that publish one; only `overloaded`
# callouts link to them (a saturated provider is the case where they help).
STATUS_PAGES: dict[str, str] = {
    "anthropic": "https://status.anthropic.com",
    "openai": "https://status.openai.com",
    "azure": "https://azure.status.microsoft",
    "bedrock": "https://health.aws.amazon.com/health/status",
    "google": "https://status.cloud.google.com",
    "openrouter": "https://status.openrouter.ai",
    "vercel": "https://www.vercel-status.com",
}


def callout_title(state: str, kind: str = "") -> str:
    """The callout heading for a callout state and error kind."""
    if state == CalloutState.RETRYING:
        return _RETRYING_TITLES.get(kind, "Retrying request")
    if state == CalloutState.FAILED:
        return _FAILED_TITLES.get(kind, "Request failed")
    if state == CalloutState.RECONNECTING:
        return RECONNECTING_TITLE
    return THINKING_TITLE


def shared_wait_title(kind: str, provider: str | None) -> str:
    """The title of a retry that waits on the provider's shared cooldown or open breaker
    (``ChatRetry.shared``): every chat on it waits for the same moment, so the callout
    names the provider's recovery rather than this chat's attempt."""
    name = provider_display_name(provider)
    if kind == ErrorKind.RATE_LIMIT:
        return f"Waiting for {name}'s rate limit to reset"
    return f"Waiting for {name} to recover"


def status_page_url(provider: str | None) -> str:
    """The provider's public status page, or "" when none is known."""
    return STATUS_PAGES.get(normalize_provider(provider), "")


def shows_usage_link(kind: str, provider: str | None) -> bool:
    """ "View usage" belongs to this application's own limit only, never a provider quota."""
    return kind == ErrorKind.USAGE_LIMIT and not normalize_provider(provider)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageState:
    """Everything a chat page knows about its turn at one moment."""

    retry: ChatRetry | None = None  # the in-progress retry
    stream_error: ChatError | None = None  # this turn's `error` event
    reconnect: Mapping[str, Any] | None = None  # {"attempt", "deadline"} while the socket is down
    phase: Phase = Phase.IDLE  # the turn's phase: starting | streaming | idle
    started_at: str = ""  # when the turn started (ISO-8601), for the delayed-start notice
    persisted_error: ChatError | None = None  # Chat.last_error


Payload = ChatRetry | ChatError | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CalloutChoice:
    """Which callout to show (`state` None: the page state wins but shows no callout)."""

    state: CalloutState | None
    payload: Payload


# Priority high to low: a live retry outranks a terminal error of the same
# turn, a dropped socket outranks what the server last said, and a fresh turn
# (starting/streaming) hides the previous turn's persisted error.
_PRIORITY: tuple[tuple[CalloutState | None, Callable[[PageState], Payload | None]], ...] = (
    (CalloutState.RETRYING, lambda s: s.retry),
    (CalloutState.FAILED, lambda s: s.stream_error),
    (CalloutState.RECONNECTING, lambda s: s.reconnect),
    (
        CalloutState.STARTING,
        lambda s: {"started_at": s.started_at} if s.phase is Phase.STARTING else None,
    ),
    (None, lambda s: {} if s.phase is Phase.STREAMING else None),
    (CalloutState.FAILED, lambda s: s.persisted_error),
)


def select_callout(state: PageState) -> CalloutChoice | None:
    """The winning live state; None when idle with nothing to report."""
    for callout, pick in _PRIORITY:
        payload = pick(state)
        if payload is not None:
            return CalloutChoice(callout, payload)
    return None


def seconds_until(deadline: object, now: datetime | None = None) -> int:
    """Whole seconds left, rounded up as the countdown shows them; 0 when past or unusable."""
    moment = parse_utc(deadline)
    if moment is None:
        return 0
    left = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0, math.ceil(left)) if math.isfinite(left) else 0


def callout_context(
    state: str,
    payload: Payload | None,
    *,
    now: datetime | None = None,
    usage_url: str = "/usage/",
    dom_id: str = "chat-callout",
) -> dict[str, Any]:
    """The plain dict `components/chat_status_callout.html` renders, from a payload.

    `payload` is a `ChatRetry` (retrying), a `ChatError` (failed), or their JSON
    (read with the contract's tolerant `from_json`); `{"attempt", "deadline"}`
    (reconnecting) or `{"started_at"}` (starting).
    """
    callout = CalloutState(state)
    if callout is CalloutState.RETRYING:
        retry = payload if isinstance(payload, ChatRetry) else ChatRetry.from_json(payload)
        return _finish(_retrying(retry, now), dom_id)
    if callout is CalloutState.FAILED:
        error = payload if isinstance(payload, ChatError) else ChatError.from_json(payload)
        return _finish(_failed(error, usage_url), dom_id)
    data: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    if callout is CalloutState.RECONNECTING:
        context = _base(callout)
        context.update(
            attempt=_count(data.get("attempt")),
            deadline=_text(data.get("deadline")),
            countdown_verb="Reconnecting",
            message=RECONNECTING_MESSAGE,
        )
        return _finish(context, dom_id)
    started = parse_utc(data.get("started_at"))
    elapsed = ((now or datetime.now(UTC)) - started).total_seconds() if started else 0.0
    context = _base(callout)
    context.update(
        started_at=format_utc(started) if started else "",
        delayed=elapsed >= DELAYED_START_SECONDS,
    )
    context["actions"]["stop"] = True
    if context["delayed"]:
        context["title"] = DELAYED_START_TITLE
    return _finish(context, dom_id)


def _base(callout: CalloutState, kind: str = "") -> dict[str, Any]:
    return {
        "phase": str(callout),
        "kind": kind,
        "label": kind_label(kind) if kind else "",
        "title": callout_title(callout, kind),
        "message": "",
        "attempt": 0,
        "status_code": 0,
        "detail": "",
        "detail_mono": False,
        "deadline": "",
        "countdown_verb": "",
        "not_before": "",
        "retry_now_disabled": False,
        "started_at": "",
        "delayed": False,
        "shared": False,
        "status_url": "",
        "usage_url": "",
        "hint": "",
        "fallback": None,
        "actions": {"retry_now": False, "stop": False, "try_again": False},
    }


def _retrying(retry: ChatRetry, now: datetime | None) -> dict[str, Any]:
    context = _base(CalloutState.RETRYING, retry.kind)
    not_before = format_utc(retry.not_before) if retry.not_before else ""
    context.update(
        message=retry.error,
        attempt=retry.attempt,
        status_code=_chip(retry.status_code),
        deadline=format_utc(retry.retrying_at) if retry.retrying_at else "",
        countdown_verb="Retrying",
        not_before=not_before,
        retry_now_disabled=seconds_until(not_before, now) > 0,
        status_url=status_page_url(retry.provider) if retry.kind == ErrorKind.OVERLOADED else "",
    )
    if retry.shared:
        context.update(
            title=shared_wait_title(retry.kind, retry.provider),
            countdown_verb="Next try",
            hint=f"Every chat using {provider_display_name(retry.provider)} waits for this "
            "same moment.",
            shared=True,
        )
    context["actions"].update(retry_now=True, stop=True)
    if retry.to_model:
        _fallback(context, retry)
    return context


def _fallback(context: dict[str, Any], retry: ChatRetry) -> None:
    """A retry that switches model says so in its own note (``data-fallback``), worded
    from the fields (not the payload's prose), and the title says what happens next."""
    context.update(
        title=FALLBACK_TITLE,
        message="",
        countdown_verb="Switching",
        fallback={
            "from_model": retry.from_model,
            "to_model": retry.to_model,
            "reason": retry.reason,
            "text": fallback_message(
                from_model=retry.from_model or "the model",
                to_model=retry.to_model,
                reason=retry.reason or retry.kind,
                provider=retry.provider,
            ),
        },
    )


def _failed(error: ChatError, usage_url: str) -> dict[str, Any]:
    context = _base(CalloutState.FAILED, error.kind)
    context.update(
        message=error.message,
        status_code=_chip(error.status_code),
        detail=error.detail,
        detail_mono=error.kind == ErrorKind.GENERIC,
        status_url=status_page_url(error.provider) if error.kind == ErrorKind.OVERLOADED else "",
        usage_url=usage_url if shows_usage_link(error.kind, error.provider) else "",
        hint=MISSING_KEY_HINT if error.kind == ErrorKind.MISSING_KEY else "",
    )
    context["actions"]["try_again"] = error.retryable is True
    return context


def pill_repeats_title(state: str, kind: str) -> bool:
    """Whether the callout's title already names the kind ("Rate limited" for
    ``rate_limit``): the pill then only repeats it, and is not shown."""
    return state == CalloutState.RETRYING and kind in _RETRYING_TITLES


def _finish(context: dict[str, Any], dom_id: str) -> dict[str, Any]:
    context["dom_id"] = dom_id
    # A shared wait's or a fallback's title names the provider or the switch, not the
    # kind: the pill says the kind.
    context["pill_redundant"] = (
        not context["shared"]
        and not context["fallback"]
        and pill_repeats_title(context["phase"], context["kind"])
    )
    context["delayed_title"] = DELAYED_START_TITLE
    context["delayed_after"] = DELAYED_START_SECONDS
    context["announce"] = _announcement(context)
    return context


def _chip(status_code: int) -> int:
    """The status the callout's chip shows: an error status only. A provider that put its
    error inside an HTTP 200 says nothing with "HTTP 200" (the admin keeps the 200)."""
    return status_code if status_code >= 400 else 0


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, value)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def region_context(
    state: PageState, *, now: datetime | None = None, usage_url: str = "/usage/"
) -> dict[str, Any]:
    """The dict `components/callout_region.html` renders for a page's live state.

    `reconnecting` is the callout the browser clones when the socket drops (the
    server cannot send it then): rendered here so its markup stays server-owned.
    """
    choice = select_callout(state)
    callout = None
    if choice is not None and choice.state is not None:
        callout = callout_context(choice.state, choice.payload, now=now, usage_url=usage_url)
    reconnecting = callout_context(CalloutState.RECONNECTING, {"attempt": 1}, now=now)
    return {"callout": callout, "reconnecting": reconnecting}


def _announcement(context: Mapping[str, Any]) -> str:
    """What screen readers hear once per state change: never the ticking seconds."""
    label = "" if context.get("pill_redundant") else context["label"]
    fallback = context.get("fallback") or {}
    parts = [context["title"], label, context["message"], fallback.get("text", "")]
    if context["attempt"]:
        parts.append(f"Attempt {context['attempt']}")
    return ". ".join(part.rstrip(".") for part in parts if part) + "."
