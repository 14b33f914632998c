"""Personal data past its campaign's retention period (PIPL Art. 19: kept no longer than needed).

A campaign's period runs from when it ended (completed or cancelled) for `retention_days`
(default PERSONAL_DATA_RETENTION_DAYS, 180); "keep" needs a reason. Once it has passed,
`remove_expired_personal_data` (the hourly housekeeping job) does, in one transaction per campaign:
- its calls' numbers become their keyed hash (`campaigns.privacy.hashed_phone`): counts,
  segments and the callee guard's history still add up, since a number always hashes alike;
- receipts of its calls lose their raw bodies (the callee's number is in them);
- contacts of its lists lose names and variables and their numbers become the hash (an external
  id that is the number goes too), where every campaign using the list is past its period too (a
  list still in use by another campaign stays); so do those lists' import reports (rejected rows
  quote the file's cells) and any upload file still kept for them;
- outbound webhook messages about its calls (`call.settled`, `contact.opted_out`, in whatever
  state) get the hash for the number and lose the contact's variables;
- its cross-tabs keep their counts, but a value quoting a number (a variable such as a
  referrer's phone) becomes its keyed hash;
- the campaign notes when (its page says "personal data removed on …"), in an audit event too.

What it leaves: the result cube and cross-tab counts (figures stay identical), the do-not-call
list (opt-outs must be honoured for good), audit events (kept unaltered three years: the trail
is append-only and only erasing one person on request may rewrite it, `audit.retention`; an event
names a number only where staff typed one into an admin form, and shows it masked to those who
may not see numbers). Rejected pushes, unmatched receipts, uploads, test calls and delivered
webhook messages follow their own periods (README "Personal data").
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, models, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit.actors import HOUSEKEEPING, Actor
from audit.record import record
from campaigns.models import Call, Campaign, Contact, ImportJob
from campaigns.privacy import HASH_PREFIX, hash_key, hashed_phone, is_hashed, mask_text
from receipts.models import CrosstabSnapshot, Receipt
from webhooks.models import WebhookMessage

ENDED = (Campaign.State.COMPLETED, Campaign.State.CANCELLED)
BATCH = 5000


def is_past(campaign: Campaign, now: dt.datetime) -> bool:
    expires = campaign.personal_data_expires_at
    return campaign.personal_data_removed_at is not None or (expires is not None and expires <= now)


def remove_expired_personal_data(now: dt.datetime | None = None) -> int:
    """Every ended campaign past its period, not yet done: its personal data removed. Returns how many."""
    now = now or timezone.now()
    due = Campaign.objects.filter(
        state__in=ENDED, finished_at__isnull=False, personal_data_removed_at__isnull=True, keep_personal_data=False
    )
    done = 0
    for campaign in due:
        if is_past(campaign, now):
            remove_personal_data(campaign, now)
            done += 1
    return done


@transaction.atomic
def remove_personal_data(campaign: Campaign, now: dt.datetime | None = None, actor: Actor = HOUSEKEEPING) -> dict:
    """Hash its calls' numbers, drop its receipts' raw bodies, clear contacts of lists only it (and
    other expired campaigns) used. Lock: the campaign row."""
    now = now or timezone.now()
    key = hash_key()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    calls = Call.objects.filter(campaign=campaign)
    counts = {"calls": _rehash(calls, "campaign_id = %s", [campaign.pk], key)}
    counts["receipts"] = Receipt.objects.filter(matched_call__campaign=campaign).exclude(raw={}).update(raw={})
    counts["webhook_messages"] = _webhook_messages(campaign, key)
    counts["crosstabs"] = _crosstabs(campaign, key)
    lists = [
        contact_list.pk
        for contact_list in campaign.contact_lists.prefetch_related("campaigns")
        if all(other.pk == campaign.pk or is_past(other, now) for other in contact_list.campaigns.all())
    ]
    contacts = Contact.objects.filter(contact_list_id__in=lists)
    counts["contacts"] = contacts.exclude(name="", variables={}).update(name="", variables={}, updated_at=now)
    contacts.filter(external_id=F("phone")).update(external_id=None)
    for list_id in lists:
        _rehash(Contact.objects.filter(contact_list_id=list_id), "contact_list_id = %s", [list_id], key)
    counts["import_reports"] = _import_reports(lists)
    campaign.personal_data_removed_at = now
    campaign.save(update_fields=["personal_data_removed_at"])
    record(actor, "personal_data.removed", campaign, rows=counts["calls"] + counts["contacts"], changes={
        kind: [count, 0] for kind, count in counts.items() if count
    })  # fmt: skip
    return counts


def _webhook_messages(campaign: Campaign, key: bytes) -> int:
    """Its outbox messages: the number becomes its hash, the contact's variables go."""
    changed = []
    for message in WebhookMessage.objects.filter(payload__data__campaign_id=campaign.pk).iterator(chunk_size=BATCH):
        data = message.payload.get("data") or {}
        phone = str(data.get("phone") or "")
        if not (phone and not is_hashed(phone)) and not data.get("variables"):
            continue
        if phone:
            data["phone"] = hashed_phone(phone, key)
            if data.get("external_id") == phone:
                data["external_id"] = None
        if "variables" in data:
            data["variables"] = {}
        changed.append(message)
    WebhookMessage.objects.bulk_update(changed, ["payload"], batch_size=BATCH)
    return len(changed)


def _crosstabs(campaign: Campaign, key: bytes) -> int:
    """Its cross-tabs' values that quote a number (or any long run of digits): their keyed hash.
    Counts stay, and so do groups: distinct values hash apart."""
    changed = 0
    for snapshot in CrosstabSnapshot.objects.filter(campaign=campaign):
        values = (snapshot.table or {}).get("values") or []
        hashed = [[_hashed_value(value, key), counts] for value, counts in values]
        if hashed != values:
            snapshot.table = {**snapshot.table, "values": hashed}
            snapshot.save(update_fields=["table"])
            changed += 1
    return changed


def _hashed_value(value, key: bytes):
    return hashed_phone(value, key) if isinstance(value, str) and mask_text(value) != value else value


def _import_reports(lists: list[int]) -> int:
    """Imports into the cleared lists: their rejected rows (the file's cells) and any kept file go."""
    jobs = ImportJob.objects.filter(contact_list_id__in=lists)
    for job in jobs.exclude(file=""):
        job.file.delete(save=False)
    jobs.exclude(file="").update(file="")
    return jobs.exclude(rejected=[]).update(rejected=[])


def _rehash(queryset: models.QuerySet, where: str, params: list, key: bytes | None = None) -> int:
    """Numbers of the rows replaced by their keyed hash (computed here: the database cannot)."""
    key = key or hash_key()
    phones = queryset.exclude(phone__startswith=HASH_PREFIX).values_list("phone", flat=True).distinct()
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    changed = 0
    phones = sorted(phones)
    for start in range(0, len(phones), BATCH):
        chunk = phones[start : start + BATCH]
        hashes = [hashed_phone(phone, key) for phone in chunk]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} t SET phone = m.hashed FROM unnest(%s::text[], %s::text[]) AS m(phone, hashed) "  # noqa: S608
                    f"WHERE t.phone = m.phone AND t.{where}",
                    [chunk, hashes, *params],
                )
                changed += cursor.rowcount
        else:
            for phone, hashed in zip(chunk, hashes, strict=True):
                changed += queryset.filter(phone=phone).update(phone=hashed)
    return changed


def status_text(campaign: Campaign) -> str:
    """What the campaign page says about its personal data, dates in the campaign's zone."""
    if campaign.personal_data_removed_at:
        return _("Personal data removed on %(date)s.") % {"date": _date(campaign, campaign.personal_data_removed_at)}
    if campaign.keep_personal_data:
        return _("Kept until removed by hand: %(reason)s") % {"reason": campaign.keep_reason}
    expires = campaign.personal_data_expires_at
    if expires is None:
        return _("Kept while the campaign runs, then for the retention period.")
    return _("Personal data will be removed on %(date)s.") % {"date": _date(campaign, expires)}


def _date(campaign: Campaign, when: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(when, campaign.zone), "DATE_FORMAT")
