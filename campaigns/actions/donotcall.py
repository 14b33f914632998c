"""What staff (or a system on their behalf, through the API) do to the do-not-call list. Each
runs in one transaction with one audit event naming the count; the rows are written by
`campaigns.do_not_call`, the list's one writer. Not durable: the API runs them inside its
Idempotency-Key transaction, so a replayed request and its answer commit together."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from audit.actors import Actor
from audit.record import record
from campaigns import do_not_call, reasons
from campaigns.models import DoNotCall


@transaction.atomic
def do_add_to_do_not_call(
    phones: list[str],
    reason: str,
    *,
    actor: Actor,
    source: str = DoNotCall.Source.STAFF,
    expires_at: dt.datetime | None = None,
) -> int:
    """Put the numbers on the list; their contacts are flagged and calls not yet made to them,
    in any campaign, become `dnc`. Returns how many numbers were new on the list."""
    if not phones:
        return 0
    stored = reasons.typed(reason[:200])
    now = timezone.now()
    added = do_not_call.put_on_list(
        (DoNotCall(phone=phone, reason=stored, source=source, expires_at=expires_at) for phone in phones), now
    )
    do_not_call.stop_calls_to(phones, now)
    if added:
        record(
            actor, "donotcall.added", object_type="campaigns.donotcall", rows=len(added), reason=reasons.typed(reason)
        )
    return len(added)


@transaction.atomic
def do_remove_from_do_not_call(phones: list[str], *, actor: Actor) -> int:
    """Take the numbers off the list (their contacts may be called again by campaigns started
    later). Returns how many were on it."""
    removed = do_not_call.take_off_list(phones)
    if removed:
        record(actor, "donotcall.removed", object_type="campaigns.donotcall", rows=removed)
    return removed
