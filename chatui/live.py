"""The chat page's live view: a snapshot and the runner's events, as page state and HTML.

One ``ChatView`` per open chat page (held by its websocket consumer; the page
view builds one from the database for the first render). It applies the live
event protocol (docs/architecture.md) and says which parts of the page an event changes;
the render functions turn those parts into the fragments htmx swaps by id
(the component partials of ``templates/components/``, rendered through
``chatui.templatetags.chat_components.render_component``). Which callout wins
is ``chatui.components``'s rule; every text about a failure comes from the
event's payload.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from chatcore.contract import ChatError, ChatRetry, Phase, format_utc, parse_utc
from chatcore.models import ACTIVE_STATUSES
from chatcore.runner.snapshot import database_snapshot
from chatui.components import PageState, region_context
from chatui.markdown import (
    AppendCode,
    AppendDone,
    ReplaceTail,
    StreamRenderer,
    remember_rendered,
    render_markdown,
)
from chatui.templatetags.chat_components import render_component

__all__ = [
    "ALL_PARTS",
    "PROVISIONAL_ID",
    "SEND_REFUSALS",
    "STREAM_DONE_ID",
    "STREAM_TAIL_ID",
    "USAGE_URL",
    "ChatView",
    "Part",
    "message_context",
    "render_callout_slot",
    "render_controls",
    "render_delta",
    "render_notice",
    "render_parts",
    "render_transcript",
]

PROVISIONAL_ID = "provisional-message"
USAGE_URL = "/usage/"
# A streaming answer's body: complete blocks are appended to DONE, the open block
# replaces TAIL, and an open code fence's text is appended to TAIL's <code>.
STREAM_DONE_ID = "provisional-done"
STREAM_TAIL_ID = "provisional-tail"
_APPEND_DONE = f'<div hx-swap-oob="beforeend:#{STREAM_DONE_ID}">{{}}</div>'
_REPLACE_TAIL = (
    f'<div id="{STREAM_TAIL_ID}" class="stream-tail" data-stream-tail hx-swap-oob="true">{{}}</div>'
)
# format_html escapes the code text; the fixed target is escaped here once.
_APPEND_CODE = f'<div hx-swap-oob="beforeend:{escape(f"#{STREAM_TAIL_ID} code")}">{{}}</div>'


class Part(enum.Enum):
    """A region of the chat page a change re-renders."""

    TRANSCRIPT = "transcript"
    CALLOUT = "callout"
    CONTROLS = "controls"


ALL_PARTS = frozenset(Part)


@dataclass
class ChatView:
    """What one page shows of its chat's turn, as of event ``seq``."""

    chat_id: int
    seq: int = 0
    phase: Phase = Phase.IDLE  # starting | streaming | idle (a retry is ``retry``)
    retry: ChatRetry | None = None
    stream_error: ChatError | None = None
    persisted_error: ChatError | None = None
    started_at: str = ""
    text: str = ""  # the provisional text the snapshot carried (deltas go to the browser)
    # The shown error is this application's own usage limit (a refused send),
    # not a provider's: only then does the callout link to the usage page. A
    # provider's quota error may name no provider (the fake one, unknown
    # gateways), so the payload alone cannot tell them apart.
    own_limit: bool = False
    # The streaming answer, rendered as markdown block by block.
    stream: StreamRenderer = field(default_factory=StreamRenderer, repr=False, compare=False)

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> ChatView:
        """The state a `chat_snapshot`/`database_snapshot` describes."""
        live = snapshot.get("live") or {}
        active = snapshot.get("status") in ACTIVE_STATUSES
        raw_retry = live.get("retry") if active else None
        retry = ChatRetry.from_json(raw_retry) if isinstance(raw_retry, Mapping) else None
        reported = Phase.parse(live.get("phase"), Phase.STARTING)
        phase = Phase.IDLE
        # The runner may already have published the end of the turn ("failed",
        # "idle") while the database still says active: nothing is in flight then.
        if active and retry is None and reported not in (Phase.FAILED, Phase.IDLE):
            phase = Phase.STREAMING if reported is Phase.STREAMING else Phase.STARTING
        view = cls(
            chat_id=int(snapshot["chat"]),
            seq=int(snapshot.get("seq") or 0),
            phase=phase,
            retry=retry,
            persisted_error=None if active else ChatError.from_stored(snapshot.get("last_error")),
            started_at=_iso_epoch(live.get("started_at")) if active else "",
            text=str(live.get("text") or "") if phase is Phase.STREAMING else "",
        )
        if view.text:
            view.stream.feed(view.text)
        return view

    @property
    def active(self) -> bool:
        """A turn is queued, running or waiting to retry."""
        return self.retry is not None or self.phase.active

    def region(self) -> dict[str, Any]:
        """The callout region's context (``chatui.components.region_context``)."""
        return region_context(self.page_state(), usage_url=USAGE_URL if self.own_limit else "")

    def page_state(self) -> PageState:
        return PageState(
            retry=self.retry,
            stream_error=self.stream_error,
            phase=self.phase,
            started_at=self.started_at,
            persisted_error=self.persisted_error,
        )

    def turn_queued(self) -> frozenset[Part]:
        """This page queued a turn (send, Try again): show it starting until the runner speaks."""
        self._start(_now_iso())
        self.text = ""
        return ALL_PARTS

    def refused(self, error: ChatError | Mapping[str, Any]) -> frozenset[Part]:
        """The send was refused before any turn started (our own usage limit)."""
        refusal = error if isinstance(error, ChatError) else ChatError.from_json(error)
        self.stream_error, self.own_limit = refusal, True
        return frozenset({Part.CALLOUT, Part.CONTROLS})

    def turn_dequeued(self) -> frozenset[Part]:
        """A queued turn was stopped before any runner claimed it."""
        self.phase, self.retry, self.text = Phase.IDLE, None, ""
        self.stream = StreamRenderer()
        return ALL_PARTS

    def apply(self, event: str, data: Mapping[str, Any]) -> frozenset[Part]:
        """Apply one event (its seq already checked); the parts to re-render.

        A ``delta`` changes no part: the consumer appends its text instead.
        """
        self.text, self.own_limit = "", False
        if event == "done":
            # The answer is about to be rendered whole: where the blocks it streamed
            # are that render, they are kept as it (a turn's end costs no second render).
            finished = self.stream.finish()
            if finished is not None:
                remember_rendered(self.stream.text, finished)
        if event != "delta":
            self.stream = StreamRenderer()
        if event == "status":
            phase = Phase.parse(data.get("phase"))
            if phase is Phase.STARTING:
                self._start(_now_iso())
                return ALL_PARTS
            if phase is Phase.STREAMING:
                self.phase, self.retry = Phase.STREAMING, None
                return frozenset({Part.CALLOUT, Part.CONTROLS})
            self.phase, self.retry = Phase.IDLE, None
            return ALL_PARTS
        if event == "retry":
            self.phase, self.retry = Phase.IDLE, ChatRetry.from_json(data)
            return ALL_PARTS
        if event == "error":
            self.phase, self.retry = Phase.IDLE, None
            self.stream_error = ChatError.from_json(data)
            return ALL_PARTS
        if event == "done":
            self.phase, self.retry, self.stream_error = Phase.IDLE, None, None
            self.persisted_error = None
            return ALL_PARTS
        return frozenset()

    def _start(self, started_at: str) -> None:
        # A new attempt supersedes whatever the previous turn or attempt showed.
        self.phase, self.retry, self.stream_error = Phase.STARTING, None, None
        self.persisted_error, self.own_limit = None, False
        self.started_at = started_at

    def shows_stop(self) -> bool:
        """While a turn runs, the composer's Send button becomes Stop."""
        return self.active


def render_transcript(view: ChatView, messages: list[dict[str, Any]] | None = None) -> SafeString:
    """The transcript from the database, with an (empty or snapshot) provisional tail
    while a turn is active. Reads the database when ``messages`` is not given."""
    if messages is None:
        messages = database_snapshot(view.chat_id)["messages"]
    context = {
        "messages": [
            message_context(m, turn_active=view.active)
            for m in messages
            if m["role"] in ("user", "assistant")
        ],
        "provisional": _provisional(view) if view.active else None,
    }
    return render_component("transcript", context)


def message_context(message: Mapping[str, Any], *, turn_active: bool = False) -> dict[str, Any]:
    """The `message` component's dict for a transcript row (``chatcore.chats.transcript``)."""
    role = str(message["role"])
    text = str(message.get("text") or "")
    versions = message.get("versions")
    context: dict[str, Any] = {
        "role": role,
        "content": text,
        "html": render_markdown(text) if role == "assistant" else None,
        "dom_id": f"message-{message['id']}",
        "message_id": message["id"],
        "created_at": message.get("created_at", ""),
        "created_label": _time_label(message.get("created_at")),
        "model": str(message.get("model") or ""),
        # The model the turn started on, when a fallback model wrote this answer.
        "fallback_from": str(message.get("fallback_from") or ""),
        "stopped": bool(message.get("stopped")),
        # Changing the last question or answer waits for the turn in flight.
        "can_edit": bool(message.get("edit")) and not turn_active,
        "can_regenerate": bool(message.get("regenerate")) and not turn_active,
    }
    if isinstance(versions, Mapping) and not turn_active:
        ids, index = list(versions["ids"]), int(versions["index"])
        context["versions"] = {
            "index": index,
            "count": len(ids),
            "prev": ids[index - 2] if index > 1 else None,
            "next": ids[index] if index < len(ids) else None,
        }
    return context


def _provisional(view: ChatView) -> dict[str, Any]:
    return {
        "role": "assistant",
        "provisional": True,
        "dom_id": PROVISIONAL_ID,
        "stream_done": mark_safe("".join(view.stream.done_html)),  # sanitised blocks
        "stream_tail": mark_safe(view.stream.tail_html),  # sanitised or escaped code
    }


def render_callout_slot(view: ChatView) -> SafeString:
    return render_component("callout_slot", {"callout": view.region()["callout"], "oob": True})


def render_controls(view: ChatView) -> SafeString:
    return render_to_string(
        "chats/_turn_controls.html", {"show_stop": view.shows_stop(), "active": view.active}
    )


def render_delta(view: ChatView, text: str) -> SafeString:
    """One delta: its text fed to the page's markdown stream, as the fragments that
    change the provisional answer ("" when nothing visible changed).

    Formatted, not a template: it runs once per frame of every streaming chat."""
    html = []
    for op in view.stream.feed(text):
        if isinstance(op, AppendDone):
            html.append(_APPEND_DONE.format(op.html))  # sanitised by chatui.markdown
        elif isinstance(op, ReplaceTail):
            html.append(_REPLACE_TAIL.format(op.html))
        elif isinstance(op, AppendCode):
            html.append(format_html(_APPEND_CODE, op.text))
    return mark_safe("".join(html))


# Notices that refuse a send: the composer keeps the text and shows the reason.
SEND_REFUSALS = frozenset(
    {
        "malformed", "too_large", "too_long", "id_too_long", "empty", "busy", "offline",
        "conflict", "active_limit", "rate_limit",
    }
)  # fmt: skip


def render_notice(
    code: str = "", *, accepted: str = "", oob: bool = False, **params: Any
) -> SafeString:
    """The notice area: one short, fixed sentence per code (``""`` clears it).

    ``accepted`` names the client request id of a send the server stored: the
    composer then lets go of that text. ``oob``: for an htmx answer whose only
    swap is this notice (out of band)."""
    context = {
        "code": code,
        "accepted": accepted,
        "refusal": code in SEND_REFUSALS,
        "oob": oob,
        **params,
    }
    return render_to_string("components/notice.html", context)


def render_parts(
    view: ChatView, parts: frozenset[Part], messages: list[dict[str, Any]] | None = None
) -> SafeString:
    """The fragments for ``parts``, in page order, ready for one websocket frame."""
    html = []
    if Part.TRANSCRIPT in parts:
        html.append(render_transcript(view, messages))
    if Part.CALLOUT in parts:
        html.append(render_callout_slot(view))
    if Part.CONTROLS in parts:
        html.append(render_controls(view))
    # Each part is a rendered template (autoescaped), so the joined whole is safe.
    return mark_safe("".join(html))


def _time_label(value: object) -> str:
    """A message's time as the page first shows it (UTC; the browser rewrites it in its own
    time zone): the time today, else the date and time."""
    moment = parse_utc(value)
    if moment is None:
        return ""
    if moment.date() == timezone.now().astimezone(UTC).date():
        return f"{moment:%H:%M} UTC"
    return f"{moment:%d %b %Y, %H:%M} UTC"


def _now_iso() -> str:
    return format_utc(timezone.now())


def _iso_epoch(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return format_utc(datetime.fromtimestamp(value, UTC))
    return ""
