"""The dispatcher queues one set of dial jobs per running campaign, never duplicates."""

import datetime as dt

import django_rq
import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign
from ivrsite.scheduler import tick
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db


def test_tick_queues_dial_jobs_once(campaign, redis_conn, settings, django_capture_on_commit_callbacks):
    settings.DIAL_JOBS_PER_CAMPAIGN = 2
    actions.do_start_campaign(campaign, actor=OPERATOR)

    # Jobs reach Redis when the transaction commits (django-rq's default commit mode).
    with django_capture_on_commit_callbacks(execute=True):
        first = tick()
    with django_capture_on_commit_callbacks(execute=True):
        second = tick()

    assert first["enqueued"] == 2
    assert second["enqueued"] == 0
    assert sorted(django_rq.get_queue("dial").job_ids) == [f"dial-{campaign.pk}-0", f"dial-{campaign.pk}-1"]


def test_tick_queues_nothing_for_paused_or_draft_campaigns(campaign, redis_conn):
    assert tick()["enqueued"] == 0
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_pause_campaign(campaign, actor=OPERATOR)
    assert tick()["enqueued"] == 0


def test_tick_closes_calls_after_the_end_date_and_completes(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))

    summary = tick()

    assert summary["completed"] == 1
    assert campaign.calls.filter(status=Call.Status.CANCELLED).count() == 5
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_reconciliation_is_queued_once_a_minute(redis_conn, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert tick()["reconcile"] is True
        assert tick()["reconcile"] is False
    assert "reconcile" in django_rq.get_queue("default").job_ids


def test_dial_jobs_per_campaign_follow_the_live_dial_workers(campaign, redis_conn, settings):
    from rq import Worker

    from ivrsite.scheduler import jobs_per_campaign

    settings.DIAL_JOBS_PER_CAMPAIGN = 0  # the default: ask RQ
    assert jobs_per_campaign() == 1  # nobody alive yet: still one job, waiting for a worker
    dial = django_rq.get_queue("dial")
    workers = [Worker([dial], connection=dial.connection, name=f"w{n}") for n in range(3)]
    for worker in workers:
        worker.register_birth()
    Worker([django_rq.get_queue("imports")], connection=dial.connection, name="imports-only").register_birth()

    assert jobs_per_campaign() == 3

    workers[0].register_death()
    assert jobs_per_campaign() == 2
    settings.DIAL_JOBS_PER_CAMPAIGN = 5  # pinned
    assert jobs_per_campaign() == 5
