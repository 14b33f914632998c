"""The opt-out key: a menu option with the action "opt_out" puts the caller's number on the
do-not-call list the moment its key press arrives. The answer still counts under its label;
every call to the number not yet dialled, in any campaign, becomes `dnc`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from campaigns import reasons, webhook_events
from campaigns.do_not_call import put_on_list, stop_calls_to
from campaigns.experiments import snapshot_for
from campaigns.models import OPT_OUT, Call, DoNotCall

log = logging.getLogger(__name__)


def opt_out_keys(snapshot: dict | None) -> set[str]:
    return {o["key"] for o in (snapshot or {}).get("options", []) if o.get("action") == OPT_OUT}


def every_opt_out_key(snapshot: dict | None) -> frozenset[str]:
    """The opt-out keys of a campaign's frozen menu and of its script variants' menus."""
    menus = [snapshot, *(snapshot or {}).get("variants", {}).values()]
    return frozenset(key for menu in menus for key in opt_out_keys(menu))


def pressed_opt_out(call: Call) -> str:
    """The opt-out key among the keys the callee pressed, or ""."""
    keys = opt_out_keys(snapshot_for(call.variant, call.campaign.menu_snapshot))
    return next((key for key in call.dtmf or "" if key in keys), "")


@transaction.atomic
def opt_out(calls: list[Call], now: dt.datetime | None = None) -> int:
    """Put the numbers of these calls (whose callee pressed an opt-out key) on the do-not-call
    list, saying when, where and how; returns how many calls not yet dialled, in any
    campaign, became `dnc`."""
    now = now or timezone.now()
    entries = {}
    for call in calls:
        reason = reasons.reason(
            "dnc.opted_out",
            key=pressed_opt_out(call),
            campaign=call.campaign.name,
            date=reasons.moment(now),
        )
        entries[call.phone] = DoNotCall(
            phone=call.phone, reason=reason, campaign_id=call.campaign_id, source=DoNotCall.Source.OPT_OUT
        )
    if not entries:
        return 0
    put_on_list(entries.values(), now)  # an entry past its expiry is replaced by this opt-out
    webhook_events.contacts_opted_out(calls)
    stopped = stop_calls_to(list(entries), now)
    log.info("%d numbers opted out; %d calls not yet made became do-not-call", len(entries), stopped)
    return stopped
