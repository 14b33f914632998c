"""Everything stored about one phone number (PIPL's right of access), and its erasure.

`find(number)` gathers the lists, calls, receipts, do-not-call entry and audit events about a
number: `person show`, the admin's "Find a person" page and its subject-access download.

`erase(number, reason, actor)` removes it in one transaction:
- its contacts lose their names and variables, and their number becomes its keyed hash
  (`campaigns.privacy.hashed_phone`); so do its calls, whose statuses and answers stay: the
  stored aggregates and any later recount add up as before;
- receipts of its calls, or quoting it, lose their raw bodies; rejected and waiting pushes,
  import reports, cross-tabs and any other text or JSON column quoting it get the hash instead
  (`sweep`: every column of every table, so a column added later is covered too);
- audit events and Django's admin log that named it are rewritten the same way, through the
  audit table's one documented exception for erasure (`audit.retention.erasure_allowed`);
- a do-not-call tombstone keyed by the hash stays, so a later import or contact of the number is
  marked do-not-call (`DoNotCall.erased_among`); one audit event records the erasure, by hash.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from audit.actors import Actor
from audit.models import AuditEvent
from audit.record import record
from audit.retention import ERASABLE_FIELDS, erasure_allowed
from campaigns import do_not_call
from campaigns.contacts.phones import normalize
from campaigns.models import Call, Contact, DoNotCall, ImportJob
from campaigns.privacy import hashed_phone
from receipts.models import Receipt

TOMBSTONE_REASON = "erased on request"


def find(number: str) -> dict[str, Any]:
    """What is stored about the number: one JSON-able object (times in ISO 8601, UTC)."""
    number = normalize(number)
    contacts = list(Contact.objects.filter(phone=number).select_related("contact_list").order_by("pk"))
    calls = list(Call.objects.filter(phone=number).select_related("campaign").order_by("created_at", "pk"))
    receipts = Receipt.objects.filter(Q(matched_call__in=calls) | Q(pk__in=_raw_quoting(number).values("pk"))).order_by(
        "received_at"
    )
    dnc = DoNotCall.objects.filter(phone=number).first()
    objects = [("campaigns.contact", c.pk) for c in contacts] + [("campaigns.call", c.pk) for c in calls]
    if dnc:
        objects.append(("campaigns.donotcall", dnc.pk))
    about = Q(object_repr__contains=number) | Q(pk__in=_json_quoting(AuditEvent, "changes", number))
    for object_type, object_id in objects:
        about |= Q(object_type=object_type, object_id=str(object_id))
    return {
        "number": number,
        "lists": [
            {
                "list": c.contact_list.name,
                "name": c.name,
                "variables": c.variables,
                "do_not_call": c.do_not_call,
                "added": _time(c.created_at),
            }
            for c in contacts
        ],
        "calls": [
            {
                "campaign": call.campaign.name,
                "attempt": call.attempt,
                "status": call.status,
                "answer": call.answer_label,
                "keys": call.dtmf,
                "time": _time(call.answered_at or call.sent_at or call.created_at),
            }
            for call in calls
        ],
        "do_not_call": {"reason": dnc.reason_text, "since": _time(dnc.created_at)} if dnc else None,
        "receipts": [
            {"received": _time(r.received_at), "kind": r.kind, "status_code": r.status_code, "raw": r.raw}
            for r in receipts
        ],
        "audit_events": [
            {"at": _time(e.at), "event": e.event, "actor": e.actor_name, "object": e.object_repr, "changes": e.changes}
            for e in AuditEvent.objects.filter(about).order_by("at")
        ],
    }


def _time(value) -> str | None:
    """ISO 8601 in the operator's zone, with its offset."""
    return timezone.localtime(value).isoformat() if value else None


def _raw_quoting(number: str) -> models.QuerySet:
    return Receipt.objects.annotate(raw_text=Cast("raw", TextField())).filter(raw_text__contains=number)


def _json_quoting(model: type[models.Model], field: str, number: str) -> models.QuerySet:
    return model.objects.annotate(as_text=Cast(field, TextField())).filter(as_text__contains=number).values("pk")


@transaction.atomic
def erase(number: str, reason: str, actor: Actor) -> dict[str, int]:
    """Erase the number everywhere (see the module's docstring); returns what changed, by kind."""
    number = normalize(number)
    hashed = hashed_phone(number)
    counts: dict[str, int] = {}
    contacts = Contact.objects.filter(phone=number)
    # A list that got the number again after an earlier erasure holds its hash already.
    clash = Contact.objects.filter(phone=hashed).values("contact_list_id")
    counts["contacts"] = contacts.count()
    contacts.filter(contact_list_id__in=clash, calls__isnull=True).delete()
    Contact.objects.filter(phone=number).update(
        phone=hashed, name="", variables={}, do_not_call=True, updated_at=timezone.now()
    )
    calls = Call.objects.filter(phone=number)
    call_ids = list(calls.values_list("pk", flat=True))
    counts["calls"] = calls.update(phone=hashed)
    counts["receipts"] = Receipt.objects.filter(
        Q(matched_call_id__in=call_ids) | Q(pk__in=_raw_quoting(number).values("pk"))
    ).update(raw={})
    do_not_call.take_off_list([number])
    do_not_call.put_on_list([DoNotCall(phone=hashed, reason=TOMBSTONE_REASON, source=DoNotCall.Source.ERASURE)])
    counts["upload_files"] = _delete_uploads_quoting(number)
    with erasure_allowed():
        counts["other_rows"] = sweep(number, hashed)
    record(
        actor,
        "person.erased",
        object_type="person",
        object_id=hashed,
        object_repr=hashed,
        changes={kind: [count, 0] for kind, count in counts.items() if count},
        reason={"text": reason},
    )
    return counts


def sweep(number: str, replacement: str) -> int:
    """Replace the number in every text and JSON column of every table; returns rows changed."""
    changed = 0
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        columns = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.primary_key
            and (model is not AuditEvent or f.name in ERASABLE_FIELDS)
        ]
        if columns:
            changed += _sweep_table(model, columns, number, replacement)
    return changed


def _sweep_table(model: type[models.Model], fields: list[models.Field], number: str, replacement: str) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    postgres = connection.vendor == "postgresql"
    sets, wheres, params_set, params_where = [], [], [], []
    for field in fields:
        column = connection.ops.quote_name(field.column)
        if isinstance(field, models.JSONField) and postgres:
            sets.append(f"{column} = replace({column}::text, %s, %s)::jsonb")
            wheres.append(f"{column}::text LIKE %s")
        else:
            sets.append(f"{column} = replace({column}, %s, %s)")
            wheres.append(f"{column} LIKE %s")
        params_set += [number, replacement]
        params_where.append(f"%{number}%")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(sets)} WHERE {' OR '.join(wheres)}",  # noqa: S608 - names from the models
            params_set + params_where,
        )
        return max(cursor.rowcount, 0)


def _delete_uploads_quoting(number: str) -> int:
    """Kept upload files (previews, failed imports) holding the number: deleted."""
    deleted = 0
    for job in ImportJob.objects.exclude(file=""):
        try:
            with job.file.open("rb") as handle:
                holds = number.encode() in handle.read()
        except (FileNotFoundError, OSError):
            continue
        if holds:
            job.file.delete(save=False)
            ImportJob.objects.filter(pk=job.pk).update(file="")
            deleted += 1
    return deleted
