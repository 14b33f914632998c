"""What stands between a claimed call and the person it would ring: their own hours and
the frequency guard. A call either may go now or is deferred (back to the queue, due
later, not an attempt); a call whose contact's hours never meet the campaign's window is
settled as never to be made, with that reason, so the campaign can complete.
"""

from __future__ import annotations

import datetime as dt
import logging

from campaigns import reasons, transitions
from campaigns.contacts import contact_hours
from campaigns.dialling import guard
from campaigns.models import Call, Campaign

log = logging.getLogger(__name__)

CONTACT_HOURS = "ContactHours"
CALLEE_LIMIT = "CalleeLimit"


def screen(campaign: Campaign, calls: list[Call], now: dt.datetime) -> list[Call]:
    """The claimed calls that may be dialled now; the others are deferred (one UPDATE per
    distinct due time). Costs no query and one Redis round trip for a batch nobody defers."""
    outside_hours, never = contact_hours.screen(campaign, calls, now)
    candidates = [call for call in calls if call.pk not in outside_hours and call.pk not in never]
    too_often = guard.screen(candidates, now)
    if outside_hours:
        defer(calls, outside_hours, CONTACT_HOURS, reasons.reason("call.contact_hours"))
    if never:
        settle_never(campaign, [call for call in calls if call.pk in never], now)
    if too_often:
        defer(calls, too_often, CALLEE_LIMIT, reasons.reason("call.callee_limit"))
        log.info("frequency guard deferred %d of %d calls of campaign %s", len(too_often), len(calls), campaign.pk)
    return [call for call in candidates if call.pk not in too_often]


def settle_never(campaign: Campaign, calls: list[Call], now: dt.datetime) -> int:
    """Settle claimed calls whose contact's hours never meet the window, one UPDATE per hours."""
    by_hours: dict[str, list[int]] = {}
    for call in calls:
        by_hours.setdefault(str(contact_hours.daily_hours(call.contact)), []).append(call.pk)
    window = str(campaign.window.hours)
    groups = [
        (ids, reasons.reason("call.contact_hours_never", hours=hours, window=window)) for hours, ids in by_hours.items()
    ]
    settled = transitions.do_settle_outside_hours(groups, calls[0].claim_token, now)
    log.info("%d calls of campaign %s settled: their contacts' hours never meet its window", settled, campaign.pk)
    return settled


def defer(calls: list[Call], due: dict[int, dt.datetime], code: str, note: reasons.Reason) -> int:
    """Hand claimed calls back to the queue, due later. Not an attempt: nothing was dialled."""
    token = calls[0].claim_token if calls else ""
    # Whole seconds up: fewer distinct times, fewer statements.
    rounded = {}
    for pk, when in due.items():
        whole = when.replace(microsecond=0)
        rounded[pk] = whole + dt.timedelta(seconds=1) if whole < when else whole
    return transitions.do_defer_claimed_calls(rounded, token, code, note)
