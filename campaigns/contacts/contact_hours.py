"""A contact's own hours ("call after 18:00", "not after 12:00"), in the campaign's local time.

They are the contact variables `call_after` (inclusive) and `call_before` (exclusive),
"HH:MM", imported from columns of those names or their aliases (`HOURS_ALIASES`); either
may be missing. An after later than the before spans midnight (after 20:00, before 08:00).
"""

from __future__ import annotations

import datetime as dt
import re

from campaigns.models import Call, Campaign, Contact
from campaigns.window import DailyHours

CALL_AFTER, CALL_BEFORE = "call_after", "call_before"
# Column titles (as the importer compares them: casefolded, "_" and "-" as spaces).
HOURS_ALIASES = {
    "call after": CALL_AFTER,
    "not before": CALL_AFTER,
    "不早于": CALL_AFTER,
    "最早呼叫时间": CALL_AFTER,
    "呼叫时间起": CALL_AFTER,
    "call before": CALL_BEFORE,
    "not after": CALL_BEFORE,
    "不晚于": CALL_BEFORE,
    "最晚呼叫时间": CALL_BEFORE,
    "呼叫时间止": CALL_BEFORE,
}
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:：点时](\d{2})?(?:[:：分](\d{2})?)?)?$")
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_hour(text: str) -> str:
    """ "18:00", "18:00:00", "18", "18点", "18点30" (full-width digits too) → "18:00"; ValueError otherwise."""
    value = str(text).strip().translate(FULLWIDTH_DIGITS).rstrip("分")
    match = _TIME_RE.match(value)
    if not match:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour == 24 and minute == 0:
        hour = 0
    return dt.time(hour, minute).strftime("%H:%M")


def _hour(contact: Contact, name: str) -> dt.time | None:
    value = (contact.variables or {}).get(name)
    if not value:
        return None
    try:
        return dt.time.fromisoformat(parse_hour(value))
    except ValueError:
        return None  # edited by hand into something unreadable: no restriction rather than never


def hours(contact: Contact) -> tuple[dt.time | None, dt.time | None]:
    after, before = _hour(contact, CALL_AFTER), _hour(contact, CALL_BEFORE)
    # "Before 24:00" (or 00:00) is the end of the day, not a door that never opens.
    return after, None if before == dt.time(0) else before


def daily_hours(contact: Contact) -> DailyHours | None:
    """The contact's own hours as the calling window takes them (None: any time)."""
    return DailyHours.between(*hours(contact))


def has_hours(contact: Contact) -> bool:
    variables = contact.variables or {}
    return bool(variables.get(CALL_AFTER) or variables.get(CALL_BEFORE))


def screen(campaign: Campaign, calls: list[Call], now: dt.datetime) -> tuple[dict[int, dt.datetime], list[int]]:
    """Claimed calls whose contact may not be called now: (id → when the call is next due,
    ids of calls whose contact's hours never meet the campaign's window)."""
    due: dict[int, dt.datetime] = {}
    never: list[int] = []
    window = None
    for call in calls:
        if not has_hours(call.contact):
            continue
        window = window or campaign.window
        own = window.for_contact(daily_hours(call.contact))
        if own.is_open(now):
            continue
        if not own.contact_hours_meet():
            never.append(call.pk)
            continue
        # None: the campaign's end comes first; due then, when its end date cancels the call.
        due[call.pk] = own.next_open(now) or window.ends_at or now
    return due, never


def own_hours_counts(campaign: Campaign) -> list[tuple[DailyHours, int]]:
    """The contacts still to call that have their own hours, counted by those hours: a draft's
    contacts in its lists, else its latest calls not yet dialled (read when the result cube is
    refreshed, `results.aggregates`, so that pages read no call). One GROUP BY, and none when the
    lists' stored variable names have no hours (the common case costs no scan)."""
    from django.db.models import Count, Q
    from django.db.models.fields.json import KT

    from campaigns.contacts.variables import variable_names_of

    lists = list(campaign.contact_lists.values_list("pk", flat=True))
    if not {CALL_AFTER, CALL_BEFORE} & set(variable_names_of(lists)):
        return []
    if campaign.state == Campaign.State.DRAFT:
        contacts = Contact.objects.filter(contact_list__campaigns=campaign, do_not_call=False)
    else:
        waiting = [Call.Status.QUEUED, Call.Status.CLAIMED]
        contacts = Contact.objects.filter(calls__campaign=campaign, calls__is_latest=True, calls__status__in=waiting)
    rows = (
        contacts.filter(Q(variables__has_key=CALL_AFTER) | Q(variables__has_key=CALL_BEFORE))
        .values_list(KT(f"variables__{CALL_AFTER}"), KT(f"variables__{CALL_BEFORE}"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[DailyHours, int] = {}
    for after, before, n in rows:
        own = daily_hours(Contact(variables={CALL_AFTER: after, CALL_BEFORE: before}))
        if own is not None:
            counts[own] = counts.get(own, 0) + n
    return sorted(counts.items(), key=lambda item: (item[0].start, item[0].end))


def never_called(campaign: Campaign) -> list[tuple[DailyHours, int]]:
    """`own_hours_counts` of the contacts whose hours never meet the campaign's window."""
    window = campaign.window
    return [(own, n) for own, n in own_hours_counts(campaign) if not window.for_contact(own).contact_hours_meet()]


def as_json(counts: list[tuple[DailyHours, int]]) -> list[list]:
    """`own_hours_counts` as stored with the result cube: [start "HH:MM", end "HH:MM", count]."""
    return [[f"{hours.start:%H:%M}", f"{hours.end:%H:%M}", n] for hours, n in counts]


def from_json(rows: list[list]) -> list[tuple[DailyHours, int]]:
    return [(DailyHours(dt.time.fromisoformat(start), dt.time.fromisoformat(end)), n) for start, end, n in rows]
