"""The provider health page's charts: failures per minute of one kind, as inline SVG bars.

Pure geometry, no Django: the page renders each ``KindChart`` as a small ``<svg>``
(``templates/admin/chatcore/providerhealth/_chart.html``) with a title and a description,
so it needs no script, no chart library and nothing the CSP would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chatcore.errors import kind_label

__all__ = [
    "BAR_WIDTH",
    "CHART_HEIGHT",
    "CHART_MINUTES",
    "Bar",
    "KindChart",
    "kind_charts",
    "minute_floor",
]

CHART_MINUTES = 60  # the last hour, one bar per minute
BAR_WIDTH = 3  # per minute: a 2-unit bar and a 1-unit gap
CHART_HEIGHT = 32
_DRAW_HEIGHT = CHART_HEIGHT - 2  # a bar never touches the top; the base line takes 1


@dataclass(frozen=True, slots=True)
class Bar:
    """One minute's failures of one kind."""

    minute: datetime
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True, slots=True)
class KindChart:
    """The last hour's failures of one kind on one provider/model."""

    kind: str
    label: str
    total: int
    peak: int
    peak_minute: datetime | None
    bars: tuple[Bar, ...]  # only the minutes that had failures
    width: int = CHART_MINUTES * BAR_WIDTH
    height: int = CHART_HEIGHT

    @property
    def description(self) -> str:
        """What the chart shows, in words (its ``<desc>``)."""
        if self.peak_minute is None:
            return f"No {self.label.lower()} failures in the last {CHART_MINUTES} minutes."
        return (
            f"{self.total} {self.label.lower()} failure{'' if self.total == 1 else 's'} in the "
            f"last {CHART_MINUTES} minutes, at most {self.peak} in one minute "
            f"({self.peak_minute:%H:%M} UTC)."
        )


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def kind_charts(counts: Iterable[tuple[datetime, str, int]], *, now: datetime) -> list[KindChart]:
    """One chart per kind from ``(minute, kind, count)`` rows, over the hour ending at
    ``now``'s minute (older or future rows are left out); kinds by total, largest first."""
    last = minute_floor(now)
    first = last - timedelta(minutes=CHART_MINUTES - 1)
    per_kind: dict[str, dict[datetime, int]] = {}
    for minute, kind, count in counts:
        start = minute_floor(minute)
        if first <= start <= last and count > 0:
            minutes = per_kind.setdefault(kind, {})
            minutes[start] = minutes.get(start, 0) + count
    charts = [_chart(kind, minutes, first) for kind, minutes in per_kind.items()]
    return sorted(charts, key=lambda chart: (-chart.total, chart.kind))


def _chart(kind: str, minutes: Mapping[datetime, int], first: datetime) -> KindChart:
    peak = max(minutes.values())
    peak_minute = min(minute for minute, count in minutes.items() if count == peak)
    bars = []
    for minute in sorted(minutes):
        count = minutes[minute]
        # Scaled to this chart's peak (the description states it); never thinner than 1.
        height = max(1, round(count / peak * _DRAW_HEIGHT))
        index = int((minute - first).total_seconds() // 60)
        bars.append(Bar(minute, count, index * BAR_WIDTH, CHART_HEIGHT - 1 - height, height))
    return KindChart(
        kind=kind,
        label=kind_label(kind),
        total=sum(minutes.values()),
        peak=peak,
        peak_minute=peak_minute,
        bars=tuple(bars),
    )
