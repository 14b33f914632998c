"""Numbers staff put on the do-not-call list (one by one or from a file): nothing still to
be dialled to them is dialled.

A plain function for now; the actions layer (`campaigns.actions`, with its audit trail)
takes it over as its do-not-call action, recording who added the numbers.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from campaigns import transitions
from campaigns.models import Contact


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
    from audit.actors import Actor
    from audit.record import event, record_all
    from campaigns.models import DoNotCall

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
