"""How long the webhook's leftovers are kept: receipts that never found their call (unmatched,
malformed) and rejected pushes. They are kept for staff to look into, but not forever and not
without bound: the hourly housekeeping job (`ivrsite.housekeeping`) deletes those
older than `WEBHOOK_RETENTION_DAYS`, then the oldest beyond `UNMATCHED_RECEIPTS_MAX` /
`REJECTED_PUSHES_MAX`. Receipts linked to a call are results and stay.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from receipts.models import Receipt, RejectedPush

log = logging.getLogger(__name__)
DELETE_CHUNK = 5000


def _delete_beyond(queryset: QuerySet, keep: int) -> int:
    """Delete all but the `keep` newest rows, a chunk at a time."""
    deleted = 0
    while True:
        ids = list(queryset.order_by("-received_at", "-pk").values_list("pk", flat=True)[keep : keep + DELETE_CHUNK])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]


def prune_webhook_leftovers(now: dt.datetime | None = None) -> dict[str, int]:
    """Apply the retention period and the caps; returns how many rows went."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    unmatched = Receipt.objects.filter(matched_call__isnull=True)
    counts = {
        "receipts": unmatched.filter(received_at__lt=cutoff).delete()[0],
        "rejected_pushes": RejectedPush.objects.filter(received_at__lt=cutoff).delete()[0],
    }
    counts["receipts"] += _delete_beyond(unmatched, settings.UNMATCHED_RECEIPTS_MAX)
    counts["rejected_pushes"] += _delete_beyond(RejectedPush.objects.all(), settings.REJECTED_PUSHES_MAX)
    if any(counts.values()):
        log.info("webhook leftovers deleted: %s", counts)
    return counts
