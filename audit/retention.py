"""The one way audit events leave the table: the retention purge (AUDIT_RETENTION_DAYS, at
least three years). The database refuses every other UPDATE and DELETE (migration 0002)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.actors import HOUSEKEEPING
from audit.models import AuditEvent
from audit.record import record

PURGE_SETTING = "audit.allow_purge"


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete events older than the retention period; records that it did (when it did)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])  # this transaction only
        deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
        if deleted:
            record(HOUSEKEEPING, "audit.purged", rows=deleted, changes={"before": [None, cutoff.isoformat()]})
    return deleted
