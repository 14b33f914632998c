"""Enrolment: a started campaign's contacts become its first calls, in a background job.

Starting a campaign freezes its menu, moves it to `starting` and queues `run_enrolment` on
the `imports` queue; the request returns at once, whatever the size of the lists. The job
enrols the contacts in chunks of contact ids, each chunk its own transaction, recording
progress on the campaign, and then moves the campaign to `running`. A chunk repeated after a
crash changes nothing (one attempt per number and campaign is a unique constraint), so a
failed job is simply run again.

Rules (as the single-statement enrolment had them): one call per distinct number; the lowest
contact id wins when a number is in several lists (chunks go up in contact id, so the first
chunk to see a number holds its lowest id); a number marked do-not-call in any list, or on
the do-not-call list, is enrolled as `dnc` and never dialled.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from campaigns.models import Call, Campaign, Contact

log = logging.getLogger(__name__)

CHUNK_IDS = 200_000  # contact ids per transaction: a few seconds of work at most

_ENROL_CHUNK_SQL = """
INSERT INTO campaigns_call (
    campaign_id, contact_id, phone, attempt, is_latest, status, due_at, created_at,
    error_code, error_message, status_code, dtmf, answer_key, answer_label, claim_token
)
SELECT %s, MIN(c.id), c.phone, 1, TRUE,
       CASE WHEN MAX(CASE WHEN c.do_not_call THEN 1 ELSE 0 END) = 1
                 OR EXISTS (SELECT 1 FROM campaigns_donotcall d WHERE d.phone = c.phone)
            THEN 'dnc' ELSE 'queued' END,
       %s, %s, '', '', '', '', '', '', ''
FROM campaigns_contact c
WHERE c.contact_list_id IN (SELECT contactlist_id FROM campaigns_campaign_contact_lists WHERE campaign_id = %s)
  AND c.id >= %s AND c.id < %s
GROUP BY c.phone
ON CONFLICT (campaign_id, phone, attempt) DO UPDATE SET status = 'dnc'
WHERE excluded.status = 'dnc' AND campaigns_call.status = 'queued'
"""


def enqueue_enrolment(campaign: Campaign) -> None:
    """Queue the campaign's enrolment once the current transaction commits."""
    import django_rq

    def send() -> None:
        django_rq.get_queue("imports").enqueue(
            run_enrolment, campaign.pk, job_id=f"enrol-{campaign.pk}", job_timeout=6 * 3600
        )

    transaction.on_commit(send)


def contact_ids(campaign: Campaign) -> tuple[int | None, int | None, int]:
    """(lowest id, highest id, count) of the contacts of the campaign's lists."""
    figures = Contact.objects.filter(contact_list__campaigns=campaign).aggregate(
        low=Min("id"), high=Max("id"), n=Count("id")
    )
    return figures["low"], figures["high"], figures["n"]


def enrol_chunk(campaign: Campaign, low: int, high: int) -> int:
    """Enrol the contacts with low <= id < high; returns the rows written."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ENROL_CHUNK_SQL, [campaign.pk, now, now, campaign.pk, low, high])
        return cursor.rowcount


def run_enrolment(campaign_id: int) -> int:
    """The RQ job: enrol every contact of a `starting` campaign, then set it running.

    Returns the number of calls enrolled (0 when the campaign is not starting any more).
    """
    from campaigns.actions import finish_enrolment

    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.state != Campaign.State.STARTING:
        return 0
    low, high, total = contact_ids(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(contacts_to_enrol=total, contacts_enrolled=0)
    done = 0
    if low is not None:
        for start in range(low, high + 1, CHUNK_IDS):
            with transaction.atomic():
                if not Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.STARTING).exists():
                    return 0  # cancelled meanwhile
                done += enrol_chunk(campaign, start, start + CHUNK_IDS)
                Campaign.objects.filter(pk=campaign.pk).update(contacts_enrolled=min(done, total))
    enrolled = Call.objects.filter(campaign=campaign).count()
    finish_enrolment(campaign, enrolled)
    log.info("campaign %s: %s calls enrolled", campaign.pk, enrolled)
    return enrolled
