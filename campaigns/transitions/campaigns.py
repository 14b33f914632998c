"""A campaign's state: start, enrolment, pause, resume, cancel, completion. Each records an
audit event with its actor and tells the outbound webhooks."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from audit.actors import DISPATCHER, Actor
from audit.record import record
from campaigns import reasons, webhook_events
from campaigns.models import Call, Campaign
from campaigns.reasons import Reason
from campaigns.transitions.table import CAMPAIGN_TRANSITIONS, _from

log = logging.getLogger(__name__)
S = Call.Status
State = Campaign.State


# --- Campaigns ---

# Enrols the distinct numbers of the campaign's lists among contacts low <= id < high
# (`campaigns.enrolment` walks the ids upwards, a chunk per transaction): the lowest contact id
# wins when a number is in several lists (the first chunk to see a number holds its lowest
# id); a number marked do-not-call in any list or on the do-not-call list (an entry past its
# expiry no longer counts: `campaigns.do_not_call.release_expired`) is enrolled as
# `dnc` and never dialled (a later chunk's do-not-call contact turns a queued call to dnc).
# A marketing campaign enrols only contacts with recorded consent (`campaigns.consent`).
# A chunk done twice changes nothing: one attempt per number and campaign is unique.
_ENROL_SQL = """
INSERT INTO campaigns_call (
    campaign_id, contact_id, phone, attempt, is_latest, status, due_at, created_at,
    error_code, error_message, status_code, dtmf, answer_key, answer_label, claim_token
)
SELECT %s, MIN(c.id), c.phone, 1, TRUE,
       CASE WHEN MAX(CASE WHEN c.do_not_call THEN 1 ELSE 0 END) = 1
                 OR EXISTS (SELECT 1 FROM campaigns_donotcall d
                            WHERE d.phone = c.phone AND (d.expires_at IS NULL OR d.expires_at > %s))
            THEN 'dnc' ELSE 'queued' END,
       %s, %s, '', '', '', '', '', '', ''
FROM campaigns_contact c
WHERE c.contact_list_id IN (SELECT contactlist_id FROM campaigns_campaign_contact_lists WHERE campaign_id = %s)
  AND c.id >= %s AND c.id < %s
  AND (%s OR COALESCE(c.variables->>'consent_source', '') <> '' OR COALESCE(c.variables->>'consent_time', '') <> '')
GROUP BY c.phone
ON CONFLICT (campaign_id, phone, attempt) DO UPDATE SET status = 'dnc'
WHERE excluded.status = 'dnc' AND campaigns_call.status = 'queued'
"""


def _record_state(actor: Actor, code: str, campaign: Campaign, before: str | None, after: str, **details) -> None:
    record(actor, code, campaign, changes={"state": [before, after]}, **details)
    webhook_events.campaign_state_changed(campaign, before, after)


@transaction.atomic
def do_start_campaign(campaign: Campaign, actor: Actor, now: dt.datetime | None = None) -> bool:
    """draft → starting: freeze the menu; `campaigns.enrolment` then enrols the contacts.

    Accepts: draft. Lock: the campaign row, until the audit event is written.
    """
    now = now or timezone.now()
    snapshot = campaign.menu.snapshot()
    started = Campaign.objects.filter(pk=campaign.pk, state__in=_from("start", CAMPAIGN_TRANSITIONS)).update(
        state=State.STARTING, menu_snapshot=snapshot, started_at=now, state_reason={}
    )
    if started:
        _record_state(actor, "campaign.started", campaign, State.DRAFT, State.STARTING)
        log.info("campaign %s starting", campaign.pk)
    return bool(started)


@transaction.atomic
def do_enrol_contacts(campaign: Campaign, low: int, high: int, now: dt.datetime | None = None) -> int | None:
    """Calls (queued, or dnc) for the contacts low <= id < high of a starting campaign.

    Accepts: starting. Lock: the campaign row until the chunk's calls exist, so a cancel
    waits for the chunk and the next chunk sees the cancel. Returns the rows written, None
    when the campaign is not starting any more.
    """
    now = now or timezone.now()
    if not list(
        Campaign.objects.select_for_update(no_key=True).filter(pk=campaign.pk, state=State.STARTING).values("pk")
    ):
        return None
    with connection.cursor() as cursor:
        anyone = campaign.purpose != Campaign.Purpose.MARKETING
        cursor.execute(_ENROL_SQL, [campaign.pk, now, now, now, campaign.pk, low, high, anyone])
        return cursor.rowcount


@transaction.atomic
def do_finish_enrolment(campaign: Campaign, enrolled: int) -> bool:
    """starting → running, every contact enrolled. Accepts: starting. Lock: the campaign row."""
    running = Campaign.objects.filter(pk=campaign.pk, state__in=_from("enrolled", CAMPAIGN_TRANSITIONS)).update(
        state=State.RUNNING, contacts_enrolled=enrolled
    )
    if running:
        webhook_events.campaign_state_changed(campaign, State.STARTING, State.RUNNING)
        log.info("campaign %s started: %s calls enrolled", campaign.pk, enrolled)
    return bool(running)


@transaction.atomic
def do_pause_campaign(campaign: Campaign, actor: Actor, reason: Reason | str = "") -> bool:
    """running → paused; workers hand back the calls they claimed, unsent (`do_send_call`).
    Accepts: running. Lock: the campaign row, until the audit event is written."""
    stored = reasons.typed(reason) if isinstance(reason, str) else reason
    paused = Campaign.objects.filter(pk=campaign.pk, state__in=_from("pause", CAMPAIGN_TRANSITIONS)).update(
        state=State.PAUSED, state_reason=stored
    )
    if paused:
        _record_state(actor, "campaign.paused", campaign, State.RUNNING, State.PAUSED, reason=stored)
        log.info("campaign %s paused: %s", campaign.pk, stored)
    return bool(paused)


@transaction.atomic
def do_resume_campaign(campaign: Campaign, actor: Actor) -> bool:
    """paused → running. Accepts: paused. Lock: the campaign row, until the audit event is written."""
    resumed = Campaign.objects.filter(pk=campaign.pk, state__in=_from("resume", CAMPAIGN_TRANSITIONS)).update(
        state=State.RUNNING, state_reason={}
    )
    if resumed:
        _record_state(actor, "campaign.resumed", campaign, State.PAUSED, State.RUNNING)
        log.info("campaign %s resumed", campaign.pk)
    return bool(resumed)


@transaction.atomic
def do_cancel_campaign(campaign: Campaign, actor: Actor, now: dt.datetime | None = None) -> int | None:
    """draft | starting | running | paused → cancelled, and every queued call → cancelled.

    Accepts: draft, starting, running, paused. Lock: the campaign row until its queued calls are
    cancelled. Claimed calls are cancelled by the worker that holds them (`do_release_calls`).
    Returns how many calls were cancelled, None when the campaign was already over.
    """
    now = now or timezone.now()
    before = (
        Campaign.objects.select_for_update(no_key=True).filter(pk=campaign.pk).values_list("state", flat=True).first()
    )
    cancelled = Campaign.objects.filter(pk=campaign.pk, state__in=_from("cancel", CAMPAIGN_TRANSITIONS)).update(
        state=State.CANCELLED, finished_at=now
    )
    if not cancelled:
        return None
    calls = Call.objects.filter(campaign_id=campaign.pk, status__in=_from("cancel")).update(
        status=S.CANCELLED, settled_at=now
    )
    _record_state(actor, "campaign.cancelled", campaign, before, State.CANCELLED, rows=calls)
    log.info("campaign %s cancelled, %s calls not made", campaign.pk, calls)
    return calls


@transaction.atomic
def do_complete_campaign(campaign: Campaign, now: dt.datetime | None = None, actor: Actor = DISPATCHER) -> bool:
    """running → completed, once no latest call of it is pending or of unknown outcome.

    Accepts: running. Lock: the campaign row; the check is part of the UPDATE, so a call
    enrolled or retried concurrently keeps the campaign running.
    """
    open_calls = Call.objects.filter(campaign_id=campaign.pk, is_latest=True, status__in=[*Call.PENDING, S.UNKNOWN])
    completed = (
        Campaign.objects.filter(pk=campaign.pk, state__in=_from("complete", CAMPAIGN_TRANSITIONS))
        .exclude(pk__in=open_calls.values("campaign_id"))
        .update(state=State.COMPLETED, finished_at=now or timezone.now())
    )
    if completed:
        _record_state(actor, "campaign.completed", campaign, State.RUNNING, State.COMPLETED)
        log.info("campaign %s completed", campaign.pk)
    return bool(completed)
