"""What stands between a claimed call and the person it would ring: their own hours and
the frequency guard. A call either may go now or is deferred (back to the queue, due
later, not an attempt).
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
    outside_hours = contact_hours.deferrals(campaign, calls, now)
    candidates = [call for call in calls if call.pk not in outside_hours]
    too_often = guard.screen(candidates, now)
    if outside_hours:
        defer(calls, outside_hours, CONTACT_HOURS, reasons.reason("call.contact_hours"))
    if too_often:
        defer(calls, too_often, CALLEE_LIMIT, reasons.reason("call.callee_limit"))
        log.info("frequency guard deferred %d of %d calls of campaign %s", len(too_often), len(calls), campaign.pk)
    return [call for call in candidates if call.pk not in too_often]


def defer(calls: list[Call], due: dict[int, dt.datetime], code: str, note: reasons.Reason) -> int:
    """Hand claimed calls back to the queue, due later. Not an attempt: nothing was dialled."""
    token = calls[0].claim_token if calls else ""
    # Whole seconds up: fewer distinct times, fewer statements.
    rounded = {}
    for pk, when in due.items():
        whole = when.replace(microsecond=0)
        rounded[pk] = whole + dt.timedelta(seconds=1) if whole < when else whole
    return transitions.do_defer_claimed_calls(rounded, token, code, note)
