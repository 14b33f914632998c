"""Upserting contacts from the API: the file import's pipeline, fed JSON items instead of a
file's rows (`campaigns.contacts.importing.import_table`): the same normalisation, merge
rules, rejection reasons and do-not-call marking. An item is keyed by its phone, or by its
external id (the contact of the list that has it; its phone then comes from there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

from audit.actors import Actor
from audit.record import record
from campaigns import reasons, webhook_events
from campaigns.consent import CONSENT_SOURCE, CONSENT_TIME
from campaigns.contacts.contact_hours import CALL_AFTER, CALL_BEFORE
from campaigns.contacts.import_files import Table
from campaigns.contacts.importing import ImportSummary, import_table
from campaigns.models import Contact, ContactList

FIXED = ("phone", "name")


@dataclass
class UpsertResult:
    summary: ImportSummary
    rejected: list[tuple[int, reasons.Reason]] = field(default_factory=list)

    def as_dict(self) -> dict:
        rejected = sorted(self.rejected + [(r["row"], r["reason"]) for r in self.summary.rejected])
        return {
            "created": self.summary.created,
            "updated": self.summary.updated,
            "skipped": self.summary.skipped,
            "rejected": [
                {"index": index, "code": reason.get("code", ""), "reason": reasons.describe(reason)}
                for index, reason in rejected
            ],
        }


def _cell(value: object) -> str:
    return "" if value is None else str(value)


TEXT_FIELDS = {
    "phone": 64, "external_id": 100, "name": 400, "call_after": 20, "call_before": 20,
    "consent_source": 200, "consent_time": 40,
}  # fmt: skip
# Fields that are reserved variables of the contact (its own hours; its consent, for marketing).
RESERVED = (CALL_AFTER, CALL_BEFORE, CONSENT_SOURCE, CONSENT_TIME)
SCALARS = (str, int, float, bool)


def _problem(item: object) -> str:
    """What makes an item not a contact ("" if nothing). Plain checks, not a serializer per item:
    DRF's took a second per 10,000 items, more than writing them."""
    if not isinstance(item, dict):
        return "not an object"
    unknown = set(item) - set(TEXT_FIELDS) - {"variables"}
    if unknown:
        return "unknown field " + ", ".join(sorted(unknown))[:60]
    for name, limit in TEXT_FIELDS.items():
        value = item.get(name)
        if value is not None and (not isinstance(value, SCALARS) or len(str(value)) > limit):
            return f"{name}: text of at most {limit} characters"
    variables = item.get("variables")
    if variables is not None and (
        not isinstance(variables, dict) or not all(isinstance(v, SCALARS) or v is None for v in variables.values())
    ):
        return "variables: an object of texts"
    if item.get("phone") in (None, "") and item.get("external_id") in (None, ""):
        return "give a phone or an external id"
    return ""


def check_items(raw: list) -> tuple[list[dict], dict[int, reasons.Reason]]:
    """The items (a refused one as {}) and index → reason for those that are not contacts."""
    items: list[dict] = []
    refused: dict[int, reasons.Reason] = {}
    for index, item in enumerate(raw):
        problem = _problem(item)
        if problem:
            refused[index] = reasons.reason("contact.bad_item", error=problem)
            items.append({})
        else:
            items.append(dict(item))
    return items, refused


def _resolve_external_ids(contact_list: ContactList, items: list[dict]) -> dict[int, reasons.Reason]:
    """Fill in the phone of items keyed by external id alone; refuse an external id that the
    list gives to another number. Returns index → reason for the items refused."""
    wanted = {str(item["external_id"]) for item in items if item.get("external_id") not in (None, "")}
    if not wanted:
        return {}
    owners = dict(
        Contact.objects.filter(contact_list=contact_list, external_id__in=wanted).values_list("external_id", "phone")
    )
    refused: dict[int, reasons.Reason] = {}
    for index, item in enumerate(items):
        external_id = item.get("external_id")
        if external_id in (None, ""):
            continue
        external_id = str(external_id)
        owner = owners.get(external_id)
        if not item.get("phone"):
            if owner is None:
                refused[index] = reasons.reason("contact.unknown_external_id", value=external_id[:40])
            else:
                item["phone"] = owner
        elif owner is not None and owner != item["phone"]:
            # Compared after normalisation below; a plain mismatch may still be the same number.
            item["_owner"] = owner
    return refused


def _set_external_ids(contact_list: ContactList, pairs: dict[str, str]) -> None:
    """Give the contacts (by phone) their external ids, in one statement."""
    if not pairs:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Contact._meta.db_table} AS c SET external_id = v.external_id "  # noqa: S608
                "FROM unnest(%s::text[], %s::text[]) AS v(phone, external_id) "
                "WHERE c.contact_list_id = %s AND c.phone = v.phone "
                "AND c.external_id IS DISTINCT FROM v.external_id",
                [list(pairs), list(pairs.values()), contact_list.pk],
            )
        return
    for contact in Contact.objects.filter(contact_list=contact_list, phone__in=list(pairs)):
        Contact.objects.filter(pk=contact.pk).update(external_id=pairs[contact.phone])


def upsert_contacts(contact_list: ContactList, items: list, *, actor: Actor) -> UpsertResult:
    """Merge the items into the list, in one transaction with its audit event and the
    import.finished webhook. Items: {"phone"?, "external_id"?, "name"?, "variables"?, "call_after"?,
    "call_before"?, "consent_source"?, "consent_time"?}; a rejected item is reported by its index,
    the others are written."""
    from campaigns.contacts.phones import InvalidNumber, is_plain_mobile, normalize

    items, refused = check_items(items)
    refused |= _resolve_external_ids(contact_list, [item if i not in refused else {} for i, item in enumerate(items)])
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(str(k) for k in (item.get("variables") or {})))
    for name in RESERVED:
        if any(item.get(name) for item in items):
            keys[name] = None
    variable_keys = [key for key in keys if key not in FIXED]
    header = ["phone", "name", *variable_keys]

    def rows():
        for index, item in enumerate(items):
            if index in refused:
                continue
            variables = {**(item.get("variables") or {})}
            for name in RESERVED:
                if item.get(name):
                    variables[name] = item[name]
            yield (
                index,
                [_cell(item.get("phone")), _cell(item.get("name")), *(_cell(variables.get(k)) for k in variable_keys)],
            )

    external: dict[str, str] = {}  # phone → external id
    claimed: dict[str, str] = {}  # external id → phone, within this batch
    for index, item in enumerate(items):
        if index in refused or item.get("external_id") in (None, "") or not item.get("phone"):
            continue
        raw, external_id = str(item["phone"]), str(item["external_id"])
        try:
            phone = raw if is_plain_mobile(raw) else normalize(raw)
        except InvalidNumber:
            continue  # the import rejects it with its reason
        owner = item.get("_owner") or claimed.get(external_id)
        if owner is not None and owner != phone:
            refused[index] = reasons.reason("contact.external_id_taken", value=external_id[:40])
        else:
            external[phone] = external_id
            claimed[external_id] = phone
    table = Table(header=header, rows=rows(), encoding="json", delimiter="", bytes_read=lambda: 0)
    with transaction.atomic():
        summary = import_table(contact_list, table, batch_size=len(items) or 1, mapping={})  # our own header
        _set_external_ids(contact_list, external)
        result = UpsertResult(summary, sorted(refused.items()))
        counts = result.as_dict()
        record(
            actor,
            "contacts.upserted",
            contact_list,
            rows=summary.created + summary.updated,
            changes={key: [None, counts[key]] for key in ("created", "updated", "skipped")}
            | {"rejected": [None, len(counts["rejected"])]},
        )
        webhook_events.import_finished(
            contact_list.pk, summary.as_dict() | {"rejected_count": len(counts["rejected"])}, "api"
        )
    return result
