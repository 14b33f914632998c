"""Enrolment: a started campaign's contacts become its first calls, in a background job.

Starting a campaign freezes its menu, moves it to `starting` and queues `run_enrolment` on
the `imports` queue; the request returns at once, whatever the size of the lists. The job
enrols the contacts in chunks of contact ids, each chunk its own transaction, recording
progress on the campaign, and then moves the campaign to `running`. A chunk repeated after a
crash changes nothing (one attempt per number and campaign is a unique constraint), so the
dispatcher's tick simply queues a failed or lost job again.

Rules (as the single-statement enrolment had them): one call per distinct number; the lowest
contact id wins when a number is in several lists (chunks go up in contact id, so the first
chunk to see a number holds its lowest id); a number marked do-not-call in any list, or on
the do-not-call list, is enrolled as `dnc` and never dialled.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db.models import Count, Exists, Max, Min, OuterRef

from campaigns import background, transitions
from campaigns.models import Call, Campaign, Contact

log = logging.getLogger(__name__)

CHUNK_IDS = 200_000  # contact ids per transaction: a few seconds of work at most
ENROLMENT_TIMEOUT = 6 * 3600


def enrolment_job_id(campaign: Campaign) -> str:
    return f"enrol-{campaign.pk}"


def enqueue_enrolment(campaign: Campaign) -> None:
    """Queue the campaign's enrolment once the current transaction commits."""
    background.enqueue_on_commit(
        "imports", run_enrolment, campaign.pk, job_id=enrolment_job_id(campaign), job_timeout=ENROLMENT_TIMEOUT
    )


def ensure_enrolment_queued(campaign: Campaign) -> bool:
    """A `starting` campaign whose enrolment job is gone (it failed, Redis lost it) gets it again;
    the dispatcher's tick calls this. Returns whether it queued one."""
    queued = background.ensure_queued(
        "imports", run_enrolment, campaign.pk, job_id=enrolment_job_id(campaign), job_timeout=ENROLMENT_TIMEOUT
    )
    if queued:
        log.warning("campaign %s: enrolment job failed or lost, queued again", campaign.pk)
    return queued


def numbers_to_call(campaign: Campaign, now: dt.datetime | None = None) -> int:
    """How many numbers a draft will call: the distinct numbers of its lists (with recorded
    consent, for marketing), less those marked do-not-call in a list or on the do-not-call list
    (an entry past its expiry does not count).
    Two counts over indexes, no call read: a draft's page and its list row show it."""
    from campaigns.consent import consented
    from campaigns.models import DoNotCall

    contacts = Contact.objects.filter(contact_list__campaigns=campaign)
    if campaign.purpose == Campaign.Purpose.MARKETING:
        contacts = contacts.filter(consented())  # only those with recorded consent are called
    expired = DoNotCall.objects.filter(phone=OuterRef("phone")).expired(now)
    flagged = contacts.filter(do_not_call=True).exclude(Exists(expired))
    return (
        contacts.exclude(phone__in=flagged.values("phone"))
        .exclude(phone__in=DoNotCall.objects.blocking(now).values("phone"))
        .values("phone")
        .distinct()
        .count()
    )


def contact_ids(campaign: Campaign) -> tuple[int | None, int | None, int]:
    """(lowest id, highest id, count) of the contacts of the campaign's lists."""
    figures = Contact.objects.filter(contact_list__campaigns=campaign).aggregate(
        low=Min("id"), high=Max("id"), n=Count("id")
    )
    return figures["low"], figures["high"], figures["n"]


# Steps other apps add (from their AppConfig.ready) to run on the enrolled calls before the
# campaign runs, e.g. surveys holding a later question's calls until their answers arrive.
BEFORE_RUNNING: list[Callable[[Campaign], object]] = []


def prepare_design(campaign: Campaign) -> None:
    """What the survey's design asks of the enrolled calls before any is dialled: each its script
    variant (`campaigns.experiments`), sample held back for release in batches (`campaigns.quotas`)."""
    from campaigns import experiments, quotas

    experiments.assign_variants(campaign)
    quotas.hold_back(campaign)
    for step in BEFORE_RUNNING:
        step(campaign)


def run_enrolment(campaign_id: int) -> int:
    """The RQ job: enrol every contact of a `starting` campaign, then set it running.

    Returns the number of calls enrolled (0 when the campaign is not starting any more).
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.state != Campaign.State.STARTING:
        return 0
    from campaigns.do_not_call import release_expired

    release_expired()  # the contacts of numbers whose entry expired are called again
    low, high, total = contact_ids(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(contacts_to_enrol=total, contacts_enrolled=0)
    written = 0
    for start in range(low or 0, (high or -1) + 1, CHUNK_IDS):
        rows = transitions.do_enrol_contacts(campaign, start, start + CHUNK_IDS)
        if rows is None:
            return 0  # cancelled meanwhile
        written += rows
        Campaign.objects.filter(pk=campaign.pk).update(contacts_enrolled=min(written, total))
    enrolled = Call.objects.filter(campaign=campaign).count()
    prepare_design(campaign)
    transitions.do_finish_enrolment(campaign, enrolled)
    return enrolled
