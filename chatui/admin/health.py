"""The operators' "Provider health" page: the admin's list of ``ProviderHealth``.

One entry per provider key (model ``""``) and model that has a health row or failed in
the last hour: its breaker state, the current shared cooldown (until when, and why),
the chats waiting on it, the retry budget's window, and the last hour's failures per
kind as small server-rendered SVG bar charts (``chatui.admin.health_charts``) with a
table of the same numbers. Read only: the runner owns these rows. Staff with the view
permission only (Django's admin: others are sent to its login, or refused with 403).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from chatcore.errors import kind_label
from chatcore.models import BreakerState, ProviderFailureMinute, ProviderHealth
from chatui.admin.health_charts import BAR_WIDTH, CHART_MINUTES, kind_charts, minute_floor

__all__ = ["ProviderHealthAdmin", "health_entries"]

_PAGE_TITLE = "Provider health"


def _effective_state(row: ProviderHealth, now: datetime) -> str:
    """What the row means at ``now``: a cooldown that ran out is ok again."""
    if row.state in (BreakerState.OPEN, BreakerState.HALF_OPEN):
        return str(row.state)
    if row.cooldown_until is not None and row.cooldown_until > now:
        return BreakerState.COOLDOWN.value
    return BreakerState.OK.value


def _entry(key: tuple[int, str], name: str, row: ProviderHealth | None) -> dict[str, Any]:
    return {
        "key": key,
        "provider": name,
        "model": key[1],
        "row": row,
        "state": BreakerState.OK.value,
        "cooldown_until": None,
        "cooldown_kind": "",
        "charts": [],
        "table": [],
        "kinds": [],
    }


def health_entries(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """The page's entries, by provider name then model (key-wide first). Two queries."""
    moment = now or timezone.now()
    since = minute_floor(moment) - timedelta(minutes=CHART_MINUTES - 1)
    entries: dict[tuple[int, str], dict[str, Any]] = {}
    for row in ProviderHealth.objects.select_related("provider"):
        entry = entries[(row.provider_id, row.model)] = _entry(
            (row.provider_id, row.model), row.provider.name, row
        )
        entry["state"] = _effective_state(row, moment)
        if row.cooldown_until is not None and row.cooldown_until > moment:
            entry["cooldown_until"] = row.cooldown_until
            entry["cooldown_kind"] = kind_label(row.cooldown_kind) if row.cooldown_kind else ""
    failures: dict[tuple[int, str], list[tuple[datetime, str, int]]] = {}
    minutes = ProviderFailureMinute.objects.filter(minute__gte=since).select_related("provider")
    for failure in minutes:
        key = (failure.provider_id, failure.model)
        if key not in entries:
            entries[key] = _entry(key, failure.provider.name, None)
        failures.setdefault(key, []).append((failure.minute, failure.kind, failure.count))
    for key, rows in failures.items():
        entry = entries[key]
        entry["charts"] = kind_charts(rows, now=moment)
        entry["kinds"] = [chart.label for chart in entry["charts"]]
        entry["table"] = _table(entry["charts"])
    ordered = sorted(entries.values(), key=lambda e: (e["provider"].lower(), e["key"]))
    for number, entry in enumerate(ordered, start=1):
        entry["dom_id"] = f"health-{number}"  # the charts' title/desc ids
    return ordered


def _table(charts: list[Any]) -> list[dict[str, Any]]:
    """The charts' numbers as rows: one per minute with a failure, a cell per kind."""
    by_minute: dict[datetime, dict[str, int]] = {}
    for chart in charts:
        for bar in chart.bars:
            by_minute.setdefault(bar.minute, {})[chart.kind] = bar.count
    return [
        {"minute": minute, "counts": [by_minute[minute].get(chart.kind, 0) for chart in charts]}
        for minute in sorted(by_minute, reverse=True)
    ]


@admin.register(ProviderHealth)
class ProviderHealthAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The list of ``ProviderHealth`` is the "Provider health" page (read only)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": _PAGE_TITLE,
            "opts": self.model._meta,
            "entries": health_entries(now=now),
            "now": now,
            "minutes": CHART_MINUTES,
            "bar_width": BAR_WIDTH - 1,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/chatcore/providerhealth/health.html", context)
