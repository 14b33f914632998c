"""Do-not-call changes made through the API (plain action functions: the actions layer has no
do-not-call module yet). Each runs in one transaction with one audit event naming the count;
numbers are normalised like an import's, and a number that is not one is reported back."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.actors import Actor
from audit.record import record
from campaigns import reasons
from campaigns.contacts.phones import InvalidNumber, normalize
from campaigns.do_not_call import stop_calls_to
from campaigns.models import Contact, DoNotCall


def normalise_all(raw: list[str]) -> tuple[list[str], list[dict]]:
    """(distinct national numbers, [{"phone": as given, "reason": words}] for those refused)."""
    phones: dict[str, None] = {}
    refused = []
    for value in raw:
        try:
            phones[normalize(value)] = None
        except InvalidNumber as exc:
            refused.append({"phone": value, "code": exc.reason.get("code", ""), "reason": reasons.describe(exc.reason)})
    return list(phones), refused


@transaction.atomic
def do_add_to_do_not_call(phones: list[str], reason: str, *, actor: Actor) -> int:
    """Put the numbers on the list; their contacts are flagged and calls not yet made to them,
    in any campaign, become `dnc`. Returns how many numbers were new on the list."""
    if not phones:
        return 0
    DoNotCall.objects.filter(phone__in=phones).expired().delete()  # no longer blocking: added anew
    known = set(DoNotCall.objects.filter(phone__in=phones).values_list("phone", flat=True))
    stored = reasons.typed(reason[:200])
    added = [
        DoNotCall(phone=phone, reason=stored, source=DoNotCall.Source.API) for phone in phones if phone not in known
    ]
    DoNotCall.objects.bulk_create(added, ignore_conflicts=True)
    stop_calls_to(phones, timezone.now())
    if added:
        record(
            actor, "donotcall.added", object_type="campaigns.donotcall", rows=len(added), reason=reasons.typed(reason)
        )
    return len(added)


@transaction.atomic
def do_remove_from_do_not_call(phones: list[str], *, actor: Actor) -> int:
    """Take the numbers off the list (their contacts may be called again by campaigns started
    later). Returns how many were on it."""
    if not phones:
        return 0
    removed, _by_model = DoNotCall.objects.filter(phone__in=phones).delete()
    Contact.objects.filter(phone__in=phones, do_not_call=True).update(do_not_call=False)
    if removed:
        record(actor, "donotcall.removed", object_type="campaigns.donotcall", rows=removed)
    return removed
