"""The opt-out key: a menu option with the action "opt_out" puts the caller's number on the
do-not-call list the moment its key press arrives. The answer still counts under its label;
every call to the number not yet dialled, in any campaign, becomes `dnc`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from campaigns.models import OPT_OUT, Call

log = logging.getLogger(__name__)


def opt_out_keys(snapshot: dict | None) -> set[str]:
    return {o["key"] for o in (snapshot or {}).get("options", []) if o.get("action") == OPT_OUT}


def pressed_opt_out(call: Call) -> str:
    """The opt-out key among the keys the callee pressed, or ""."""
    keys = opt_out_keys(call.campaign.menu_snapshot)
    return next((key for key in call.dtmf or "" if key in keys), "")


def opt_out(calls: list[Call], now: dt.datetime | None = None) -> int:
    """Put the numbers of these calls (whose callee pressed an opt-out key) on the do-not-call
    list; returns how many calls not yet dialled, in any campaign, became `dnc`."""
    from campaigns.transitions import do_opt_out

    now = now or timezone.now()
    return do_opt_out([(call, pressed_opt_out(call)) for call in calls], now)
