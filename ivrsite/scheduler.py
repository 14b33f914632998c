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
from rq.worker import Worker

from campaigns import background, health, quotas, vacuum
from campaigns.dialling.claimers import recover_dead_workers
from campaigns.dialling.dispatch import dial_campaign, recover_stale
from campaigns.models import Call, Campaign
from campaigns.transitions import do_complete_campaign, do_expire_calls
from ivrsite import housekeeping
from surveys import scheduling

log = logging.getLogger(__name__)
S = Call.Status


def jobs_per_campaign() -> int:
    """DIAL_JOBS_PER_CAMPAIGN if set; otherwise one per worker alive on the dial queue (RQ
    keeps a registry of them), so a campaign can use every worker when it runs alone."""
    if settings.DIAL_JOBS_PER_CAMPAIGN:
        return settings.DIAL_JOBS_PER_CAMPAIGN
    queue = django_rq.get_queue("dial")
    return max(1, Worker.count(queue=queue))


def enqueue_dialling(campaign: Campaign) -> int:
    """Make sure the campaign has its dial jobs queued or running; returns how many were added."""
    return sum(
        background.ensure_queued(
            "dial", dial_campaign, campaign.pk, job_id=f"dial-{campaign.pk}-{slot}", result_ttl=60, failure_ttl=3600
        )
        for slot in range(jobs_per_campaign())
    )


RECONCILE_EVERY_SECONDS = 60


def enqueue_reconciliation() -> bool:
    """Once a minute across all dispatchers: settle calls whose receipt never came."""
    from receipts.jobs import run_periodic

    return background.run_periodically(
        "reconcile", RECONCILE_EVERY_SECONDS, "default", run_periodic, result_ttl=300, failure_ttl=3600
    )


HOUSEKEEPING_EVERY_SECONDS = 3600


def enqueue_housekeeping() -> bool:
    """Once an hour across all dispatchers: remove what is past its retention (ivrsite.housekeeping)."""
    return background.run_periodically(
        "housekeeping", HOUSEKEEPING_EVERY_SECONDS, "default", housekeeping.run, result_ttl=300, failure_ttl=3600
    )


def expire_ended(campaign: Campaign, now: dt.datetime) -> int:
    """After its end date, a campaign's unsent calls will never be made: close them."""
    if not campaign.ends_at or now < campaign.ends_at:
        return 0
    return do_expire_calls(campaign, now)


HEALTH_EVERY_SECONDS = 60


def check_caller_health(now: dt.datetime) -> dict | None:
    """At most once a minute across all dispatchers: flag (and rest) caller numbers whose answer
    rate dropped (campaigns.health); None when another tick did it this minute."""
    if not background.once_per("caller-health", HEALTH_EVERY_SECONDS):
        return None
    return health.check(now)


SETTLE_SECONDS_PER_TICK = 2.0  # a burst of receipts delays the next tick by this much at most


def tick(now: dt.datetime | None = None) -> dict:
    from campaigns.enrolment import ensure_enrolment_queued
    from receipts.inbox import settle_pending
    from results.aggregates import refresh_requested
    from webhooks.delivery import enqueue_due as enqueue_due_webhooks

    now = now or timezone.now()
    running = list(Campaign.objects.filter(state=Campaign.State.RUNNING))
    summary = {"enqueued": 0, "completed": 0}
    # Dial jobs first: one whose time was up is replaced now, not after the seconds settling may take.
    for campaign in running:
        expire_ended(campaign, now)
        if campaign.in_window(now) and campaign.calls.filter(status=S.QUEUED, due_at__lte=now).exists():
            summary["enqueued"] += enqueue_dialling(campaign)
    settled = settle_pending(max_seconds=SETTLE_SECONDS_PER_TICK)  # before completion checks below
    refresh_requested(max_seconds=SETTLE_SECONDS_PER_TICK)  # figures someone is looking at
    summary |= {"recovered": recover_stale(now), "reconcile": enqueue_reconciliation()}
    summary["receipts"] = settled.received
    summary["dead_workers"] = recover_dead_workers(now)
    for campaign in Campaign.objects.filter(state=Campaign.State.STARTING):
        ensure_enrolment_queued(campaign)
    summary["housekeeping"] = enqueue_housekeeping()
    summary["vacuum"] = vacuum.maybe_vacuum()  # only when PostgreSQL's autovacuum is off
    summary["webhooks"] = enqueue_due_webhooks(now)
    summary["quotas"] = quotas.enforce_all(now)  # before completion: a full cell's calls are withdrawn
    summary["surveys"] = scheduling.advance_all(now)  # next questions after their answers
    summary["caller_health"] = check_caller_health(now)
    for campaign in running:
        summary["completed"] += do_complete_campaign(campaign, now)
    return summary
