"""The calling window, written once: when a campaign, and one of its contacts, may be called.

A campaign calls during its daily hours (start-inclusive, end-exclusive, wall-clock hours of
its own zone; equal start and end mean all day; an end before the start spans midnight and
belongs to the day it starts on), on its weekdays, not before its start nor from its end
datetime, and never on a global no-call day unless it opts in. A contact may narrow that with
its own hours (`call_after` / `call_before`, `campaigns.contacts.contact_hours`), which follow
the same rules but know no days.

Dispatch, `Campaign.in_window` and friends, the contact hours, the forecast and the pages all
ask a `CallingWindow`; nothing else walks the calendar. No Django here except in `of`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

# Open periods are looked for this far ahead at most: a window that needs longer never opens.
HORIZON_DAYS = 3660
# `next_open` gives up sooner: a week plus any run of no-call days fits well within it.
NEXT_OPEN_DAYS = 400
MINUTES_A_DAY = 24 * 60


@dataclass(frozen=True)
class DailyHours:
    """Hours of every day: [start, end) local; equal: all day; an end before the start spans midnight."""

    start: dt.time
    end: dt.time

    @classmethod
    def between(cls, after: dt.time | None, before: dt.time | None) -> DailyHours | None:
        """A contact's "call after" / "call before" (either may be missing); None: any time."""
        hours = cls(after or dt.time(0), before or dt.time(0))
        return None if hours.all_day else hours

    @property
    def all_day(self) -> bool:
        return self.start == self.end

    @property
    def spans_midnight(self) -> bool:
        return self.start > self.end

    def contains(self, t: dt.time) -> bool:
        if self.all_day:
            return True
        if self.spans_midnight:
            return t >= self.start or t < self.end
        return self.start <= t < self.end

    def on(self, day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The period that starts on `day`, as UTC instants (through UTC, so a start or end
        inside a DST gap lands on a real instant, and a DST night is an hour shorter or longer)."""
        if self.all_day:
            begin = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        else:
            end_day = day + dt.timedelta(days=1) if self.spans_midnight else day
            begin = dt.datetime.combine(day, self.start, tzinfo=zone)
            end = dt.datetime.combine(end_day, self.end, tzinfo=zone)
        return begin.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def _minutes(self) -> list[tuple[int, int]]:
        start, end = self.start.hour * 60 + self.start.minute, self.end.hour * 60 + self.end.minute
        if self.all_day:
            return [(0, MINUTES_A_DAY)]
        if self.spans_midnight:
            return [(start, MINUTES_A_DAY), (0, end)]
        return [(start, end)]

    def meets(self, other: DailyHours) -> bool:
        """Whether the two share any time of day (to the minute)."""
        return any(a < d and c < b for a, b in self._minutes() for c, d in other._minutes())

    @property
    def hours(self) -> float:
        """Length of one day's period in hours (a DST day aside)."""
        return sum(b - a for a, b in self._minutes()) / 60

    def __str__(self) -> str:
        end = "24:00" if self.end == dt.time(0) and not self.all_day else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}–{end}"


@dataclass(frozen=True)
class CallingWindow:
    zone: dt.tzinfo
    daily_start: dt.time
    daily_end: dt.time
    weekdays: tuple[int, ...]
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    closed_dates: frozenset[dt.date] = frozenset()  # the no-call days it does not dial on
    contact_hours: DailyHours | None = None  # one contact's own hours, if any

    @classmethod
    def of(cls, campaign, contact_hours: DailyHours | None = None) -> CallingWindow:
        """The window a `Campaign` stores, with the no-call days unless it opts in to them."""
        from campaigns.no_call_days import no_call_dates

        return cls(
            campaign.zone,
            campaign.daily_start,
            campaign.daily_end,
            tuple(campaign.weekdays or ()),
            campaign.starts_at,
            campaign.ends_at,
            frozenset() if campaign.dial_on_no_call_days else no_call_dates(),
            contact_hours,
        )

    def for_contact(self, hours: DailyHours | None) -> CallingWindow:
        """The same window narrowed to a contact's own hours."""
        return replace(self, contact_hours=hours)

    @property
    def hours(self) -> DailyHours:
        return DailyHours(self.daily_start, self.daily_end)

    def contact_hours_meet(self) -> bool:
        """Whether the contact's hours share any time of day with the campaign's: when they do
        not, the window never opens for that contact (whatever the days)."""
        return self.contact_hours is None or self.hours.meets(self.contact_hours)

    def is_calling_day(self, day: dt.date) -> bool:
        """Whether a daily period may start on this local date: a chosen weekday, not a no-call day."""
        return day.weekday() in self.weekdays and day not in self.closed_dates

    def is_open(self, at: dt.datetime) -> bool:
        """Whether `at` (aware) is inside the window."""
        if self.starts_at and at < self.starts_at:
            return False
        if self.ends_at and at >= self.ends_at:
            return False
        local = at.astimezone(self.zone)
        t = local.time().replace(tzinfo=None)
        if self.contact_hours is not None and not self.contact_hours.contains(t):
            return False
        if not self.hours.contains(t):
            return False
        return self.is_calling_day(self._calling_day(local))

    def calling_day_of(self, at: dt.datetime) -> dt.date:
        """The local date the daily period holding `at` started on (the eve's, after midnight)."""
        return self._calling_day(at.astimezone(self.zone))

    def _calling_day(self, local: dt.datetime) -> dt.date:
        if self.hours.spans_midnight and local.time().replace(tzinfo=None) < self.daily_end:
            return local.date() - dt.timedelta(days=1)
        return local.date()

    def intervals(
        self, since: dt.datetime, until: dt.datetime | None = None, horizon_days: int = HORIZON_DAYS
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The open periods (UTC, in order, clipped to [since, until)) from `since` on."""
        if not self.contact_hours_meet():
            return
        first = since.astimezone(self.zone).date() - dt.timedelta(days=1)  # an overnight period may still be open
        for offset in range(horizon_days + 1):
            day = first + dt.timedelta(days=offset)
            if not self.is_calling_day(day):
                continue
            begin, end = self.hours.on(day, self.zone)
            if until is not None and begin >= until:
                return
            begin = max(begin, since, self.starts_at or begin)
            end = min(end, self.ends_at or end, until or end)
            if self.ends_at and begin >= self.ends_at:
                return
            if end <= begin:
                continue
            if self.contact_hours is None:
                yield begin, end
            else:
                yield from self._narrowed(begin, end)

    def _narrowed(self, begin: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The parts of one open period that the contact's hours allow."""
        assert self.contact_hours is not None
        day = begin.astimezone(self.zone).date() - dt.timedelta(days=1)
        while day <= end.astimezone(self.zone).date():
            own_begin, own_end = self.contact_hours.on(day, self.zone)
            low, high = max(begin, own_begin), min(end, own_end)
            if low < high:
                yield low, high
            day += dt.timedelta(days=1)

    def next_open(self, after: dt.datetime, horizon_days: int = NEXT_OPEN_DAYS) -> dt.datetime | None:
        """The first moment at or after `after` inside the window (None: not within the horizon)."""
        if self.is_open(after):
            return after
        for begin, _end in self.intervals(after, horizon_days=horizon_days):
            return begin
        return None
