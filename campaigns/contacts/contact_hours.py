"""A contact's own hours ("call after 18:00", "not after 12:00"), in the campaign's local time.

They are the contact variables `call_after` (inclusive) and `call_before` (exclusive),
"HH:MM", imported from columns of those names or their aliases (`HOURS_ALIASES`); either
may be missing. An after later than the before spans midnight (after 20:00, before 08:00).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from campaigns.models import Call, Campaign, Contact

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


def allows(contact: Contact, local: dt.datetime) -> bool:
    after, before = hours(contact)
    t = local.time().replace(tzinfo=None)
    if after is None and before is None:
        return True
    if after is None:
        return t < before
    if before is None:
        return t >= after
    if after < before:
        return after <= t < before
    return t >= after or t < before


def next_allowed(contact: Contact, when: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first moment at or after `when` the contact's hours allow (aware, UTC)."""
    local = when.astimezone(zone)
    if allows(contact, local):
        return when
    # Outside the hours: they open at `call_after`, or at midnight when only a before is set.
    opens = hours(contact)[0] or dt.time(0, 0)
    day = local.date() if local.time().replace(tzinfo=None) < opens else local.date() + dt.timedelta(days=1)
    # Through UTC, so an opening inside a DST gap lands on a real instant.
    return dt.datetime.combine(day, opens, tzinfo=zone).astimezone(dt.UTC)


def deferrals(campaign: Campaign, calls: list[Call], now: dt.datetime) -> dict[int, dt.datetime]:
    """Claimed calls whose contact may not be called now, by id → when the call is next due."""
    zone = campaign.zone
    due = {}
    for call in calls:
        contact = call.contact
        variables = contact.variables or {}
        if not variables.get(CALL_AFTER) and not variables.get(CALL_BEFORE):
            continue
        if allows(contact, now.astimezone(zone)):
            continue
        due[call.pk] = next_moment(campaign, contact, now)
    return due


def next_moment(campaign: Campaign, contact: Contact, now: dt.datetime) -> dt.datetime:
    """The first moment both the campaign's window and the contact's hours allow, looking a
    few days ahead (when they never overlap, the call comes up again at the last one found)."""
    zone = campaign.zone
    moment = now
    for _round in range(8):
        opens = next_allowed(contact, moment, zone)
        window = campaign.next_window_start(opens)
        if window is None:
            return opens
        if window == opens:
            return window
        moment = window
    return moment
