"""What the system (or staff) does about a caller number's health (`campaigns.health`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from audit.actors import Actor
from audit.record import jsonable, record
from campaigns.models import CallerNumber
from campaigns.reasons import Reason


def do_flag_caller_number(
    number: CallerNumber, reason: Reason, *, actor: Actor, rest_until: dt.datetime | None = None
) -> bool:
    """Flag the number as answered too seldom (shown on its admin page) and, with `rest_until`,
    stop dialling on it until then (its campaigns' calls go out on their other numbers).

    Accepts: an active number. Lock: its row, with the audit event in the same transaction.
    Returns whether it changed (a number gone inactive meanwhile is left alone)."""
    with transaction.atomic():
        locked = CallerNumber.objects.select_for_update(no_key=True).filter(pk=number.pk, active=True).first()
        if locked is None:
            return False
        before = {"health_flag": locked.health_flag, "rested_until": jsonable(locked.rested_until)}
        locked.health_flag = reason
        if rest_until is not None:
            locked.rested_until = rest_until
        locked.save(update_fields=["health_flag", "rested_until"])
        changes = {"health_flag": [before["health_flag"] or None, reason]}
        if rest_until is not None:
            changes["rested_until"] = [before["rested_until"], jsonable(rest_until)]
        code = "caller_number.rested" if rest_until is not None else "caller_number.flagged"
        record(actor, code, locked, changes=changes, reason=reason)
    number.health_flag, number.rested_until = locked.health_flag, locked.rested_until
    return True


def do_clear_caller_number_flag(number: CallerNumber, *, actor: Actor) -> bool:
    """Its answer rate recovered (or staff say so): clear the flag. Returns whether it was set."""
    with transaction.atomic():
        locked = CallerNumber.objects.select_for_update(no_key=True).filter(pk=number.pk).first()
        if locked is None or not locked.health_flag:
            return False
        before = locked.health_flag
        locked.health_flag = {}
        locked.save(update_fields=["health_flag"])
        record(actor, "caller_number.recovered", locked, changes={"health_flag": [before, None]})
    number.health_flag = {}
    return True
