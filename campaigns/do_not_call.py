"""The one writer of the do-not-call list: entries put on it (an opt-out key, a number Aliyun
blocked, staff, a file, the API, an erasure's tombstone), taken off it, expired; and nothing
still to be dialled to a number on it is dialled.

Who did it is recorded by the caller: the staff actions (`campaigns.actions.donotcall`), the
transition that settled a blocked call, the opt-out of a receipt, an erasure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from audit.actors import Actor
from audit.record import event, record_all
from campaigns import transitions
from campaigns.models import Contact, DoNotCall


def put_on_list(entries: Iterable[DoNotCall], now: dt.datetime | None = None) -> list[str]:
    """Write these entries (one per number); a number whose entry has expired gets the new one,
    a number still on the list keeps its entry. Returns the numbers newly on the list."""
    entries = {entry.phone: entry for entry in entries}
    if not entries:
        return []
    phones = list(entries)
    drop_expired(phones, now)  # no longer blocking: added anew
    known = set(DoNotCall.objects.filter(phone__in=phones).values_list("phone", flat=True))
    added = [entry for phone, entry in entries.items() if phone not in known]
    DoNotCall.objects.bulk_create(added, ignore_conflicts=True)
    return [entry.phone for entry in added]


def drop_expired(phones: list[str], now: dt.datetime | None = None) -> int:
    """Remove these numbers' entries that are past their expiry (before one is added anew)."""
    removed, _by_model = DoNotCall.objects.filter(phone__in=phones).expired(now).delete()
    return removed


def take_off_list(phones: list[str]) -> int:
    """Remove the numbers' entries; their contacts may be called by campaigns started later.
    Returns how many entries there were."""
    if not phones:
        return 0
    removed, _by_model = DoNotCall.objects.filter(phone__in=phones).delete()
    Contact.objects.filter(phone__in=phones, do_not_call=True).update(do_not_call=False)
    return removed


@transaction.atomic
def stop_calls_to(phones: list[str], now: dt.datetime) -> int:
    """Mark the numbers' contacts do-not-call and turn their calls not yet made (any campaign)
    into `dnc`; returns how many calls that stopped."""
    if not phones:
        return 0
    Contact.objects.filter(phone__in=phones, do_not_call=False).update(do_not_call=True)
    return len(transitions.do_opt_out_calls(phones, now))


def release_expired(now: dt.datetime | None = None) -> int:
    """Entries past their expiry stop no call: remove them (an audit event each, by the system),
    and the contacts of those numbers lose their do-not-call flag, so a campaign started from
    now on calls them. Run hourly (`ivrsite.housekeeping`) and before every enrolment. Returns
    how many entries expired."""
    now = now or timezone.now()
    expired = list(DoNotCall.objects.expired(now))
    if not expired:
        return 0
    actor = Actor.system("do-not-call expiry")
    phones = [entry.phone for entry in expired]
    with transaction.atomic():
        record_all(
            event(actor, "donotcall.expired", entry, changes={"expires_at": [entry.expires_at.isoformat(), None]})
            for entry in expired
        )
        DoNotCall.objects.filter(pk__in=[entry.pk for entry in expired]).delete()
        Contact.objects.filter(phone__in=phones, do_not_call=True).update(do_not_call=False)
    return len(expired)
