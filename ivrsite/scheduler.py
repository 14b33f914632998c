"""The dispatcher's tick: housekeeping plus handing dial jobs to RQ workers.

Runs in a small loop (`manage.py dispatcher`); any number of dispatchers may run, since
everything here is idempotent and jobs have fixed ids (a campaign never has more than
`jobs_per_campaign()` dial jobs queued or running).
"""

from __future__ import annotations

import datetime as dt
import logging

import django_rq
from django.conf import settings
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker import Worker

from campaigns import quotas
from campaigns.dialling.dispatch import dial_campaign, recover_stale
from campaigns.models import Call, Campaign
from campaigns.transitions import do_complete_campaign, do_expire_calls
from ivrsite import housekeeping
from surveys import scheduling

log = logging.getLogger(__name__)
S = Call.Status
ACTIVE_JOB_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def jobs_per_campaign() -> int:
    """DIAL_JOBS_PER_CAMPAIGN if set; otherwise one per worker alive on the dial queue (RQ
    keeps a registry of them), so a campaign can use every worker when it runs alone."""
    if settings.DIAL_JOBS_PER_CAMPAIGN:
        return settings.DIAL_JOBS_PER_CAMPAIGN
    queue = django_rq.get_queue("dial")
    return max(1, Worker.count(queue=queue))


def enqueue_dialling(campaign: Campaign) -> int:
    """Make sure the campaign has its dial jobs queued or running; returns how many were added."""
    queue = django_rq.get_queue("dial")
    added = 0
    for slot in range(jobs_per_campaign()):
        job_id = f"dial-{campaign.pk}-{slot}"
        try:
            if Job.fetch(job_id, connection=queue.connection).get_status() in ACTIVE_JOB_STATES:
                continue
        except NoSuchJobError:
            pass
        queue.enqueue(dial_campaign, campaign.pk, job_id=job_id, result_ttl=60, failure_ttl=3600)
        added += 1
    return added


RECONCILE_EVERY_SECONDS = 60


def enqueue_reconciliation() -> bool:
    """Once a minute across all dispatchers: settle calls whose receipt never came."""
    from receipts.jobs import run_periodic

    queue = django_rq.get_queue("default")
    if not queue.connection.set("ivrsite:reconcile:lock", "1", nx=True, ex=RECONCILE_EVERY_SECONDS):
        return False
    queue.enqueue(run_periodic, job_id="reconcile", result_ttl=300, failure_ttl=3600)
    return True


HOUSEKEEPING_EVERY_SECONDS = 3600


def enqueue_housekeeping() -> bool:
    """Once an hour across all dispatchers: remove what is past its retention (ivrsite.housekeeping)."""
    queue = django_rq.get_queue("default")
    if not queue.connection.set("ivrsite:housekeeping:lock", "1", nx=True, ex=HOUSEKEEPING_EVERY_SECONDS):
        return False
    queue.enqueue(housekeeping.run, job_id="housekeeping", result_ttl=300, failure_ttl=3600)
    return True


def expire_ended(campaign: Campaign, now: dt.datetime) -> int:
    """After its end date, a campaign's unsent calls will never be made: close them."""
    if not campaign.ends_at or now < campaign.ends_at:
        return 0
    return do_expire_calls(campaign, now)


SETTLE_SECONDS_PER_TICK = 2.0  # a burst of receipts delays the next tick by this much at most


def tick(now: dt.datetime | None = None) -> dict:
    from campaigns.enrolment import ensure_enrolment_queued
    from receipts.inbox import settle_pending
    from results.aggregates import refresh_requested

    settled = settle_pending(max_seconds=SETTLE_SECONDS_PER_TICK)  # before completion checks below
    refresh_requested(max_seconds=SETTLE_SECONDS_PER_TICK)  # figures someone is looking at
    now = now or timezone.now()
    summary = {"recovered": recover_stale(now), "enqueued": 0, "completed": 0, "reconcile": enqueue_reconciliation()}
    summary["receipts"] = settled.received
    for campaign in Campaign.objects.filter(state=Campaign.State.STARTING):
        ensure_enrolment_queued(campaign)
    summary["housekeeping"] = enqueue_housekeeping()
    summary["quotas"] = quotas.enforce_all(now)  # before completion: a full cell's calls are withdrawn
    summary["surveys"] = scheduling.advance_all(now)  # next questions after their answers
    for campaign in Campaign.objects.filter(state=Campaign.State.RUNNING):
        expire_ended(campaign, now)
        if do_complete_campaign(campaign, now):
            summary["completed"] += 1
            continue
        if not campaign.in_window(now):
            continue
        if campaign.calls.filter(status=S.QUEUED, due_at__lte=now).exists():
            summary["enqueued"] += enqueue_dialling(campaign)
    return summary
