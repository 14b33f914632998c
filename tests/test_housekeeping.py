"""The hourly housekeeping job runs every retention task, and one failing does not stop the rest."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.actors import Actor
from audit.models import AuditEvent
from audit.record import event
from ivrsite import housekeeping

pytestmark = pytest.mark.django_db


def test_the_job_purges_old_audit_events_and_survives_a_failing_task(monkeypatch, settings):
    old = event(Actor(kind="cli", name="pytest"), "campaign.started")
    old.at = timezone.now() - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS + 1)
    old.save(force_insert=True)

    def broken(now):
        raise RuntimeError("storage unreachable")

    monkeypatch.setattr(housekeeping, "TASKS", [broken, *housekeeping.TASKS])
    done = housekeeping.run()

    assert done["broken"] == "failed"
    assert done["purge_expired"] == 1
    assert done["delete_expired_uploads"] == {"previews": 0, "import_files": 0}
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
