"""Numbers staff put on the do-not-call list (one by one or from a file): nothing still to
be dialled to them is dialled.

A plain function for now; the actions layer (`campaigns.actions`, with its audit trail)
takes it over as its do-not-call action, recording who added the numbers.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

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
