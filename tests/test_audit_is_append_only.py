"""The database itself refuses to change or delete audit events; only the retention purge may
remove those older than the period."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.actors import Actor
from audit.models import AuditEvent
from audit.record import event, record
from audit.retention import purge_expired

pytestmark = pytest.mark.django_db
ACTOR = Actor(kind="cli", name="pytest")


def test_update_is_refused():
    event = record(ACTOR, "campaign.started", object_repr="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="someone else")
    event.refresh_from_db()
    assert event.actor_name == "pytest"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite (the demo) refuses UPDATE only")
def test_delete_is_refused():
    event = record(ACTOR, "campaign.started")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_retention_purge_removes_only_what_is_past_the_period(settings):
    settings.AUDIT_RETENTION_DAYS = 1100
    old = event(ACTOR, "campaign.started")
    old.at = timezone.now() - dt.timedelta(days=1101)
    old.save(force_insert=True)
    new = record(ACTOR, "campaign.paused")

    assert purge_expired() == 1
    assert list(AuditEvent.objects.filter(pk__in=[old.pk, new.pk])) == [new]
    (purge,) = AuditEvent.objects.filter(event="audit.purged")
    assert purge.rows == 1 and purge.actor_kind == "system"
    with pytest.raises(DatabaseError), transaction.atomic():  # the permission ended with its transaction
        AuditEvent.objects.filter(pk=new.pk).update(actor_name="x")


def test_the_purge_keeps_recent_events(settings):
    record(ACTOR, "campaign.started")
    assert purge_expired() == 0
    assert AuditEvent.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite drops its trigger for the erasure")
def test_an_erasure_may_rewrite_what_an_event_names_and_nothing_else():
    from audit.retention import erasure_allowed

    event = record(ACTOR, "object.added", object_repr="13900000002", changes={"phone": [None, "13900000002"]})
    with pytest.raises(DatabaseError), transaction.atomic(), erasure_allowed():
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():  # the exception lasts one transaction only
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="#hash")
    with transaction.atomic(), erasure_allowed():
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="#hash", changes={"phone": [None, "#hash"]})
    event.refresh_from_db()
    assert (event.object_repr, event.changes, event.actor_name) == ("#hash", {"phone": [None, "#hash"]}, "pytest")
