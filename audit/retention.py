"""The one way audit events leave the table: the retention purge (AUDIT_RETENTION_DAYS, at
least three years). The database refuses every other UPDATE and DELETE (migration 0002) but
one: erasing a person (`campaigns.person.erase`, PIPL Art. 47) rewrites the events that named
their number — its hash instead, in what the event names, changed and why, nothing else
(`erasure_allowed`, migration 0003)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import sql
from audit.actors import HOUSEKEEPING
from audit.models import AuditEvent
from audit.record import record

PURGE_SETTING = "audit.allow_purge"
ERASURE_SETTING = "audit.allow_erasure"
# The only columns an erasure may rewrite.
ERASABLE_FIELDS = ("object_repr", "changes", "reason")


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


@contextmanager
def erasure_allowed() -> Iterator[None]:
    """Inside the caller's transaction: events' ERASABLE_FIELDS may be rewritten, nothing else.
    SQLite has no per-transaction setting: its trigger is dropped and put back in the transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("an erasure runs in a transaction")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [ERASURE_SETTING])
        elif connection.vendor == "sqlite":
            cursor.execute(sql.SQLITE_REMOVE)
    yield  # on an error the transaction rolls back: the setting and SQLite's trigger with it
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'off', true)", [ERASURE_SETTING])
        elif connection.vendor == "sqlite":
            cursor.execute(sql.SQLITE_INSTALL)
