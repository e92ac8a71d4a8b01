"""View-model helpers for the chat components (SPEC §10).

The component templates in `templates/components/` render plain dicts. This
module holds the small pure rules that decide what they show (which callout
wins for a live state, the title for a kind and phase, the provider status
pages, when "View usage" appears) and builds those dicts from the `ChatError` /
`ChatRetry` payloads of `chatcore.errors`. The consumer, the pages and the
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

from chatcore.errors import ErrorKind, kind_label
from chatcore.errors.providers import normalize_provider

__all__ = [
    "DELAYED_START_SECONDS",
    "DELAYED_START_TITLE",
    "STATUS_PAGES",
    "THINKING_TITLE",
    "CalloutChoice",
    "LiveState",
    "Phase",
    "callout_context",
    "callout_title",
    "parse_instant",
    "region_context",
    "seconds_until",
    "select_callout",
    "shows_usage_link",
    "status_page_url",
]

THINKING_TITLE = "Thinking…"
DELAYED_START_TITLE = "Response startup is taking longer than expected"
# After this long without a first chunk the starting callout says so (SPEC §10).
DELAYED_START_SECONDS = 15
RECONNECTING_TITLE = "Connection lost"
RECONNECTING_MESSAGE = "The live connection to the server dropped. Nothing you sent is lost."
MISSING_KEY_HINT = "Send your message again to continue with the current key."


class Phase(StrEnum):
    """The callout's `data-phase`."""

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


def callout_title(phase: str, kind: str = "") -> str:
    """The callout heading for a phase and error kind."""
    if phase == Phase.RETRYING:
        return _RETRYING_TITLES.get(kind, "Retrying request")
    if phase == Phase.FAILED:
        return _FAILED_TITLES.get(kind, "Request failed")
    if phase == Phase.RECONNECTING:
        return RECONNECTING_TITLE
    return THINKING_TITLE


def status_page_url(provider: str | None) -> str:
    """The provider's public status page, or "" when none is known."""
    return STATUS_PAGES.get(normalize_provider(provider), "")


def shows_usage_link(kind: str, provider: str | None) -> bool:
    """ "View usage" belongs to this application's own limit only, never a provider quota."""
    return kind == ErrorKind.USAGE_LIMIT and not normalize_provider(provider)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveState:
    """Everything a chat page knows about its turn at one moment."""

    retry: Mapping[str, Any] | None = None  # the in-progress ChatRetry
    stream_error: Mapping[str, Any] | None = None  # this turn's `error` event (ChatError)
    reconnect: Mapping[str, Any] | None = None  # {"attempt", "deadline"} while the socket is down
    phase: str = "idle"  # the runner's phase: starting | streaming | idle
    started_at: str = ""  # when the turn started (ISO-8601), for the delayed-start notice
    persisted_error: Mapping[str, Any] | None = None  # Chat.last_error


@dataclass(frozen=True, slots=True)
class CalloutChoice:
    """Which callout to show (`phase` None: the state wins but shows no callout)."""

    phase: Phase | None
    payload: Mapping[str, Any]


# Priority high to low (SPEC §10): a live retry outranks a terminal error of the
# same turn, a dropped socket outranks what the server last said, and a fresh
# turn (starting/streaming) hides the previous turn's persisted error.
_PRIORITY: tuple[tuple[Phase | None, Callable[[LiveState], Mapping[str, Any] | None]], ...] = (
    (Phase.RETRYING, lambda s: s.retry),
    (Phase.FAILED, lambda s: s.stream_error),
    (Phase.RECONNECTING, lambda s: s.reconnect),
    (Phase.STARTING, lambda s: {"started_at": s.started_at} if s.phase == "starting" else None),
    (None, lambda s: {} if s.phase == "streaming" else None),
    (Phase.FAILED, lambda s: s.persisted_error),
)


def select_callout(state: LiveState) -> CalloutChoice | None:
    """The winning live state; None when idle with nothing to report."""
    for phase, pick in _PRIORITY:
        payload = pick(state)
        if payload is not None:
            return CalloutChoice(phase, payload)
    return None


def parse_instant(value: object) -> datetime | None:
    """An ISO-8601 time as an aware datetime (naive means UTC); None when unusable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def seconds_until(deadline: object, now: datetime | None = None) -> int:
    """Whole seconds left, rounded up as the countdown shows them; 0 when past or unusable."""
    moment = parse_instant(deadline)
    if moment is None:
        return 0
    left = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0, math.ceil(left)) if math.isfinite(left) else 0


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        number = int(value)
    except (ValueError, OverflowError):
        return 0
    return max(0, number)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def callout_context(
    phase: str,
    payload: Mapping[str, Any] | None,
    *,
    now: datetime | None = None,
    usage_url: str = "/usage/",
    dom_id: str = "chat-callout",
) -> dict[str, Any]:
    """The plain dict `components/chat_status_callout.html` renders, from a payload.

    `payload` is a `ChatRetry` (retrying, optionally with `not_before`), a
    `ChatError` (failed), `{"attempt", "deadline"}` (reconnecting) or
    `{"started_at"}` (starting). Malformed values degrade to sensible defaults.
    """
    data: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    phase = Phase(phase)
    kind = _text(data.get("kind")).lower()
    if phase is Phase.FAILED and not kind:
        kind = ErrorKind.GENERIC
    provider = normalize_provider(_text(data.get("provider")))
    not_before = _text(data.get("not_before"))
    context: dict[str, Any] = {
        "dom_id": dom_id,
        "phase": str(phase),
        "kind": kind if phase in (Phase.RETRYING, Phase.FAILED) else "",
        "label": kind_label(kind) if kind else "",
        "title": callout_title(phase, kind),
        "message": _text(data.get("message")) or _text(data.get("error")),
        "attempt": _int(data.get("attempt")),
        "status_code": _int(data.get("status_code")),
        "detail": _text(data.get("detail")),
        "detail_mono": kind == ErrorKind.GENERIC,
        "deadline": "",
        "countdown_verb": "",
        "not_before": not_before,
        "retry_now_disabled": seconds_until(not_before, now) > 0,
        "started_at": "",
        "delayed": False,
        "status_url": status_page_url(provider) if kind == ErrorKind.OVERLOADED else "",
        "usage_url": usage_url if shows_usage_link(kind, provider) else "",
        "hint": MISSING_KEY_HINT if kind == ErrorKind.MISSING_KEY else "",
        "actions": {
            "retry_now": phase is Phase.RETRYING,
            "stop": phase in (Phase.RETRYING, Phase.STARTING),
            "try_again": phase is Phase.FAILED and data.get("retryable") is True,
        },
    }
    if phase is Phase.RETRYING:
        context.update(deadline=_text(data.get("retrying_at")), countdown_verb="Retrying")
    elif phase is Phase.RECONNECTING:
        context.update(
            deadline=_text(data.get("deadline")),
            countdown_verb="Reconnecting",
            message=context["message"] or RECONNECTING_MESSAGE,
        )
    elif phase is Phase.STARTING:
        started = parse_instant(data.get("started_at"))
        elapsed = ((now or datetime.now(UTC)) - started).total_seconds() if started else 0.0
        context.update(
            started_at=_iso(started) if started else "",
            delayed=elapsed >= DELAYED_START_SECONDS,
        )
        if context["delayed"]:
            context["title"] = DELAYED_START_TITLE
    context["delayed_title"] = DELAYED_START_TITLE
    context["delayed_after"] = DELAYED_START_SECONDS
    context["announce"] = _announcement(context)
    return context


def region_context(
    state: LiveState, *, now: datetime | None = None, usage_url: str = "/usage/"
) -> dict[str, Any]:
    """The dict `components/callout_region.html` renders for a page's live state.

    `reconnecting` is the callout the browser clones when the socket drops (the
    server cannot send it then): rendered here so its markup stays server-owned.
    """
    choice = select_callout(state)
    callout = None
    if choice is not None and choice.phase is not None:
        callout = callout_context(choice.phase, choice.payload, now=now, usage_url=usage_url)
    reconnecting = callout_context(Phase.RECONNECTING, {"attempt": 1}, now=now)
    return {"callout": callout, "reconnecting": reconnecting}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _announcement(context: Mapping[str, Any]) -> str:
    """What screen readers hear once per state change: never the ticking seconds."""
    parts = [context["title"], context["label"], context["message"]]
    if context["attempt"]:
        parts.append(f"Attempt {context['attempt']}")
    return ". ".join(part.rstrip(".") for part in parts if part) + "."
