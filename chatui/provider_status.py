"""The provider status line: what a chat page and the new-chat picker show of provider health.

The runner keeps one ``ProviderHealth`` row per provider key (model ``""``) and model,
and announces every change of one on ``HEALTH_GROUP`` as a ``health.changed`` message
carrying ``HealthView.to_dict()`` (``chatcore.health``). A page shows a line only while
what it offers is degraded:

* a chat page: its provider's key-wide row and its model's row, combined (the worse
  state wins, the later deadline holds), as ``health_of`` combines them;
* the new-chat picker: every degraded row of every enabled provider (``degraded``).

``HealthWatch`` is that state for one page: seeded from the database once, then kept
current from the messages' payloads alone (no query per message), it answers each
message with the fragment to send, or nothing when the page's line did not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from chatcore.contract import format_utc, parse_utc
from chatcore.errors import ErrorKind, kind_label
from chatcore.health import HealthView, degraded
from chatcore.models import BreakerState, Chat, Provider

__all__ = [
    "HealthWatch",
    "combine_views",
    "read_health",
    "status_context",
]

# Worst first, as chatcore.health.view ranks them: open, probing, cooling down.
_RANK = {
    BreakerState.OPEN.value: 3,
    BreakerState.HALF_OPEN.value: 2,
    BreakerState.COOLDOWN.value: 1,
    BreakerState.OK.value: 0,
}
# What the provider is doing, in words; other kinds read "is having trouble (<pill label>)".
_DOING: dict[str, str] = {
    ErrorKind.OVERLOADED: "is overloaded",
    ErrorKind.RATE_LIMIT: "is rate limiting requests",
    ErrorKind.TIMEOUT: "is not responding in time",
    ErrorKind.STARTUP_TIMEOUT: "is slow to start answering",
    ErrorKind.GENERIC: "is returning errors",
}
# What the breaker means for a chat, said before the waiting count.
_STATE_NOTES: dict[str, str] = {
    BreakerState.OPEN.value: "requests paused",
    BreakerState.HALF_OPEN.value: "trying one request",
}


def read_health(payload: object) -> HealthView | None:
    """A ``HealthView`` from a ``health.changed`` payload; None when it names no provider
    or state (a malformed or newer message is ignored, never raised on)."""
    if not isinstance(payload, Mapping):
        return None
    provider_id, state = payload.get("provider_id"), payload.get("state")
    if isinstance(provider_id, bool) or not isinstance(provider_id, int) or provider_id <= 0:
        return None
    if state not in _RANK:
        return None
    waiting = payload.get("waiting")
    return HealthView(
        provider_id=provider_id,
        provider=_text(payload.get("provider")),
        model=_text(payload.get("model")),
        state=str(state),
        until=parse_utc(payload.get("until")),
        kind=_text(payload.get("kind")).lower(),
        waiting=waiting if isinstance(waiting, int) and not isinstance(waiting, bool) else 0,
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _effective(view: HealthView, now: datetime) -> str:
    """A view's state at ``now``: a cooldown that ran out is ok again."""
    if view.state == BreakerState.COOLDOWN and (view.until is None or view.until <= now):
        return BreakerState.OK.value
    return view.state


def combine_views(views: Iterable[HealthView], *, model: str, now: datetime) -> HealthView | None:
    """One provider's rows as a chat on ``model`` sees them; None when there are none."""
    rows = list(views)
    if not rows:
        return None
    state, until, kind, waiting = BreakerState.OK.value, None, "", 0
    for row in rows:
        row_state = _effective(row, now)
        waiting = max(waiting, row.waiting)
        if _RANK[row_state] > _RANK[state]:
            state, kind = row_state, row.kind
        if row_state != BreakerState.OK and row.until is not None:
            until = row.until if until is None else max(until, row.until)
    first = rows[0]
    return HealthView(first.provider_id, first.provider, model, state, until, kind, waiting)


def status_context(
    view: HealthView | None, *, show_model: bool = False, now: datetime | None = None
) -> dict[str, Any] | None:
    """The dict ``components/provider_status.html`` renders; None when there is nothing to
    say (no view, or the provider/model is ok at ``now``)."""
    moment = now or datetime.now(UTC)
    if view is None or _effective(view, moment) == BreakerState.OK:
        return None
    name = view.provider or "The AI provider"
    subject = f"{view.model} on {name}" if show_model and view.model else name
    doing = _DOING.get(view.kind) or f"is having trouble ({kind_label(view.kind)})"
    if view.state == BreakerState.HALF_OPEN:
        doing = "is recovering"
    facts = [_STATE_NOTES.get(view.state, "")]
    if view.waiting:
        facts.append(f"{view.waiting} chat{'' if view.waiting == 1 else 's'} waiting")
    until = view.until if view.until is not None and view.until > moment else None
    return {
        "provider": view.provider,
        "model": view.model,
        "state": view.state,
        "state_label": BreakerState(view.state).label,
        "kind": view.kind,
        "headline": f"{subject} {doing}",
        "facts": ", ".join(fact for fact in facts if fact),
        "until": format_utc(until) if until else "",
        "until_label": f"{until.astimezone(UTC):%H:%M:%S} UTC" if until else "",
    }


@dataclass
class HealthWatch:
    """The provider health one page shows (see the module docstring).

    ``model`` None: the new-chat picker (every row of ``providers``); a string: a chat
    page on ``providers``' one provider and that model.
    """

    providers: frozenset[int]
    model: str | None = None
    views: dict[tuple[int, str], HealthView] = field(default_factory=dict)
    _shown: list[dict[str, Any]] | None = None

    @classmethod
    def for_chat(cls, provider_id: int, model: str) -> HealthWatch:
        """A chat page's watch, on ``provider_id``/``model``; reads the database."""
        watch = cls(frozenset({provider_id}), model)
        watch.seed(degraded())
        return watch

    @classmethod
    def for_chat_id(cls, chat_id: int) -> HealthWatch | None:
        """The watch of chat ``chat_id``'s page (None when the chat is gone)."""
        chat = Chat.objects.filter(pk=chat_id).values("provider_id", "model").first()
        return None if chat is None else cls.for_chat(chat["provider_id"], chat["model"])

    @classmethod
    def for_picker(cls) -> HealthWatch:
        """The new-chat picker's watch: every enabled provider; reads the database."""
        watch = cls(frozenset(Provider.objects.enabled().values_list("pk", flat=True)))
        watch.seed(degraded())
        return watch

    def seed(self, views: Iterable[HealthView]) -> None:
        """Start from these rows (``degraded()``: a row not among them is ok)."""
        for view in views:
            if self._follows(view):
                self.views[(view.provider_id, view.model)] = view

    def _follows(self, view: HealthView) -> bool:
        if view.provider_id not in self.providers:
            return False
        return self.model is None or view.model in ("", self.model)

    def statuses(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """The lines the page shows, in a stable order."""
        moment = now or datetime.now(UTC)
        if self.model is not None:
            view = combine_views(self.views.values(), model=self.model, now=moment)
            line = status_context(view, now=moment)
            return [line] if line else []
        lines = []
        for key in sorted(self.views, key=lambda k: (self.views[k].provider.lower(), k)):
            line = status_context(self.views[key], show_model=True, now=moment)
            if line:
                lines.append(line)
        return lines

    def render(self, *, oob: bool = False, now: datetime | None = None) -> SafeString:
        """The page's status slot (``oob``: as a websocket fragment swapped by id)."""
        template = "chats/_provider_status.html"
        if self.model is None:
            template = "chats/_provider_status_list.html"
        self._shown = statuses = self.statuses(now)
        return SafeString(render_to_string(template, {"statuses": statuses, "oob": oob}))

    def update(self, payload: object, *, now: datetime | None = None) -> str:
        """Apply one ``health.changed`` payload: the fragment to send, or "" when the message
        is about another provider/model or changes nothing the page shows."""
        view = read_health(payload)
        if view is None or not self._follows(view):
            return ""
        self.views[(view.provider_id, view.model)] = view
        if self._shown is not None and self.statuses(now) == self._shown:
            return ""
        return self.render(oob=True, now=now)
