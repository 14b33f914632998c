"""A contact's own hours ("call after 18:00", "not after 12:00"), in the campaign's local time.

`call_after` is inclusive, `call_before` exclusive; either may be missing. An after later
than the before spans midnight (after 20:00, before 08:00: evenings and early mornings).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from campaigns.models import Call, Campaign, Contact


def allows(contact: Contact, local: dt.datetime) -> bool:
    after, before = contact.call_after, contact.call_before
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
    opens = contact.call_after or dt.time(0, 0)
    day = local.date() if local.time().replace(tzinfo=None) < opens else local.date() + dt.timedelta(days=1)
    # Through UTC, so an opening inside a DST gap lands on a real instant.
    return dt.datetime.combine(day, opens, tzinfo=zone).astimezone(dt.UTC)


def deferrals(campaign: Campaign, calls: list[Call], now: dt.datetime) -> dict[int, dt.datetime]:
    """Claimed calls whose contact may not be called now, by id → when the call is next due."""
    zone = campaign.zone
    due = {}
    for call in calls:
        contact = call.contact
        if contact.call_after is None and contact.call_before is None:
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
