"""The best hours to call (issue 26): answer rates by weekday and hour of day, by carrier and by
province, across campaigns, from the stored cube (`CallStats`, counted as calls settle), never a
scan of the calls; and a suggested calling window for a new campaign with its expected answer rate.

Hours are the hour a call was sent, in the zone of the page (the default campaign zone): the cube
keeps UTC hours, so a zone with a half-hour offset would round to its hour.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from campaigns.models import CallStats

DAYS = 90
# Windows suggested lie inside these local hours (Aliyun's own task centre calls 09:00–21:00).
EARLIEST, LATEST = 9, 21
MIN_CALLS = 30  # a cell or window with fewer calls shows no rate


@dataclass
class Cell:
    calls: int = 0
    answered: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None

    def add(self, calls: int, answered: int) -> None:
        self.calls += calls
        self.answered += answered


@dataclass
class Suggestion:
    start: int  # local hour
    end: int  # exclusive
    rate: float
    calls: int
    overall: float | None  # the answer rate over every hour, for comparison


def _rows(days: int, carrier: str, province: str, now: dt.datetime):
    cube = CallStats.objects.filter(hour__gte=now - dt.timedelta(days=days))
    if carrier:
        cube = cube.filter(carrier=carrier)
    if province:
        cube = cube.filter(province=province)
    return cube


def grid(
    days: int = DAYS, carrier: str = "", province: str = "", zone: str = "", now: dt.datetime | None = None
) -> dict[tuple[int, int], Cell]:
    """(local weekday 0 = Monday, local hour) → calls and answers over the last `days` days."""
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(zone or settings.DEFAULT_CAMPAIGN_TIMEZONE)
    rows = _rows(days, carrier, province, now).values_list("hour").annotate(c=Sum("calls"), a=Sum("answered"))
    cells: dict[tuple[int, int], Cell] = defaultdict(Cell)
    for hour, calls, answered in rows.order_by():
        local = hour.astimezone(tz)
        cells[(local.weekday(), local.hour)].add(calls, answered)
    return cells


def by_dimension(dimension: str, days: int = DAYS, now: dt.datetime | None = None) -> list[tuple[str, Cell]]:
    """("carrier" or "province") value → calls and answers, most calls first."""
    rows = _rows(days, "", "", now or timezone.now()).values_list(dimension).annotate(c=Sum("calls"), a=Sum("answered"))
    return sorted(((value, Cell(c, a)) for value, c, a in rows.order_by()), key=lambda item: -item[1].calls)


def choices(dimension: str, days: int = DAYS, now: dt.datetime | None = None) -> list[str]:
    return sorted(value for value, _cell in by_dimension(dimension, days, now) if value)


def by_hour(cells: dict[tuple[int, int], Cell]) -> dict[int, Cell]:
    hours: dict[int, Cell] = defaultdict(Cell)
    for (_weekday, hour), cell in cells.items():
        hours[hour].add(cell.calls, cell.answered)
    return hours


def suggest(cells: dict[tuple[int, int], Cell], length: int = 3, min_calls: int | None = None) -> Suggestion | None:
    """The `length` consecutive hours between EARLIEST and LATEST with the best answer rate (any
    weekday), over at least `min_calls` calls (MIN_CALLS); None when no window has that many."""
    min_calls = MIN_CALLS if min_calls is None else min_calls
    hours = by_hour(cells)
    total = Cell()
    for cell in hours.values():
        total.add(cell.calls, cell.answered)
    best: Suggestion | None = None
    for start in range(EARLIEST, LATEST - length + 1):
        window = Cell()
        for hour in range(start, start + length):
            window.add(hours[hour].calls, hours[hour].answered)
        if window.calls >= min_calls and window.rate is not None and (best is None or window.rate > best.rate):
            best = Suggestion(start, start + length, window.rate, window.calls, total.rate)
    return best


def shade(rate: float | None, low: float, high: float) -> int:
    """A heat-map class 0–9 for the rate between the lowest and highest shown (-1: no rate)."""
    if rate is None:
        return -1
    if high <= low:
        return 5
    return min(9, int(10 * (rate - low) / (high - low)))
