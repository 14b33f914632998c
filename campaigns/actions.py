"""Campaign state changes. Views, admin and commands call these; nothing else changes state."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Call, Campaign

log = logging.getLogger(__name__)
State = Campaign.State

# One statement enrols every distinct number of the campaign's lists: the lowest contact
# id wins when a number is in several lists; a number marked do-not-call in any list or
# on the do-not-call list is enrolled as `dnc` and never dialled.
_ENROL_SQL = """
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
GROUP BY c.phone
"""


class TransitionError(ValidationError):
    pass


def _require(campaign: Campaign, *states: str) -> None:
    if campaign.state not in states:
        raise TransitionError(
            _("Campaign “%(name)s” is %(state)s; this needs it to be %(allowed)s.")
            % {
                "name": campaign.name,
                "state": campaign.get_state_display(),
                "allowed": " / ".join(str(State(s).label) for s in states),
            }
        )


def check_ready(campaign: Campaign) -> list[str]:
    """What stops a draft from starting, as messages for staff (empty: ready)."""
    from campaigns.followups import start_problems

    problems = start_problems(campaign)
    if problems:
        return problems
    if not campaign.contact_lists.exists():
        problems.append(_("Add at least one contact list."))
    elif not campaign.contact_lists.filter(contacts__isnull=False).exists():
        problems.append(_("The contact lists are empty."))
    if not campaign.caller_numbers.filter(active=True).exists():
        problems.append(_("Add at least one active caller number."))
    known = set()
    for contact_list in campaign.contact_lists.all():
        known |= contact_list.variable_names()
    unknown = campaign.menu.unknown_placeholders(known)
    if unknown:
        problems.append(_("The menu uses variables no contact has: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    return problems


def start_campaign(campaign: Campaign) -> int:
    """Freeze the menu, enrol the contacts, start dialling. Returns the number of calls enrolled."""
    problems = check_ready(campaign)
    if problems:
        raise TransitionError(problems)
    now = timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _require(locked, State.DRAFT)
        with connection.cursor() as cursor:
            cursor.execute(_ENROL_SQL, [campaign.pk, now, now, campaign.pk])
            enrolled = cursor.rowcount
        Campaign.objects.filter(pk=campaign.pk).update(
            state=State.RUNNING, menu_snapshot=locked.menu.snapshot(), started_at=now, state_reason=""
        )
    campaign.refresh_from_db()
    log.info("campaign %s started: %s calls enrolled", campaign.pk, enrolled)
    return enrolled


def pause_campaign(campaign: Campaign, reason: str = "") -> bool:
    """Stop dialling; calls already claimed by workers are handed back unsent."""
    updated = Campaign.objects.filter(pk=campaign.pk, state=State.RUNNING).update(
        state=State.PAUSED, state_reason=reason
    )
    if not updated:
        campaign.refresh_from_db()
        _require(campaign, State.RUNNING)
    campaign.refresh_from_db()
    log.info("campaign %s paused%s", campaign.pk, f": {reason}" if reason else "")
    return True


def resume_campaign(campaign: Campaign) -> bool:
    updated = Campaign.objects.filter(pk=campaign.pk, state=State.PAUSED).update(state=State.RUNNING, state_reason="")
    if not updated:
        campaign.refresh_from_db()
        _require(campaign, State.PAUSED)
    campaign.refresh_from_db()
    log.info("campaign %s resumed", campaign.pk)
    return True


def cancel_campaign(campaign: Campaign) -> int:
    """Stop for good: every call not yet sent is cancelled. Returns how many were."""
    now = timezone.now()
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, state__in=[State.DRAFT, State.RUNNING, State.PAUSED]).update(
            state=State.CANCELLED, finished_at=now
        )
        if not updated:
            campaign.refresh_from_db()
            _require(campaign, State.DRAFT, State.RUNNING, State.PAUSED)
        cancelled = Call.objects.filter(campaign_id=campaign.pk, status=Call.Status.QUEUED).update(
            status=Call.Status.CANCELLED, settled_at=now
        )
    campaign.refresh_from_db()
    log.info("campaign %s cancelled, %s calls not made", campaign.pk, cancelled)
    return cancelled


def settle_unknown_calls(call_ids: list[int], placed: bool) -> int:
    """An operator's decision on calls whose outcome stayed unknown.

    placed=False: they were not placed, dial them again (same attempt). placed=True: treat
    them as made without an answer (failed; retried only if the campaign retries failures).
    """
    from campaigns.outcomes import after_calls_settled

    unknown = Call.objects.filter(pk__in=call_ids, status=Call.Status.UNKNOWN)
    now = timezone.now()
    if not placed:
        return unknown.update(status=Call.Status.QUEUED, out_id=None, sent_at=None, due_at=now, error_message="")
    ids = list(unknown.values_list("pk", flat=True))
    count = Call.objects.filter(pk__in=ids).update(
        status=Call.Status.FAILED, settled_at=now, error_message=_("Settled by an operator.")
    )
    after_calls_settled(ids, now)
    return count
