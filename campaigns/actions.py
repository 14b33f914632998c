"""Campaign state changes. Views, admin and commands call these; nothing else changes state."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Call, Campaign

log = logging.getLogger(__name__)
State = Campaign.State


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
    problems = []
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


def start_campaign(campaign: Campaign, *, enrol_in_background: bool = False) -> int:
    """Freeze the menu and enrol the contacts (`campaigns.enrolment`); dialling starts once they are.

    The campaign is `starting` while its contacts are enrolled. In the background (the admin:
    the request returns at once, the enrolment job sets the campaign running and its progress
    shows on the campaign's page) this returns 0; otherwise (the command line, tests) it
    enrols here and returns the number of calls enrolled.
    """
    from campaigns import enrolment

    problems = check_ready(campaign)
    if problems:
        raise TransitionError(problems)
    now = timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _require(locked, State.DRAFT)
        Campaign.objects.filter(pk=campaign.pk).update(
            state=State.STARTING, menu_snapshot=locked.menu.snapshot(), started_at=now, state_reason=""
        )
        if enrol_in_background:
            enrolment.enqueue_enrolment(campaign)
    campaign.refresh_from_db()
    if enrol_in_background:
        log.info("campaign %s starting: enrolment queued", campaign.pk)
        return 0
    enrolled = enrolment.run_enrolment(campaign.pk)
    campaign.refresh_from_db()
    return enrolled


def finish_enrolment(campaign: Campaign, enrolled: int) -> bool:
    """Every contact is enrolled: a `starting` campaign starts dialling."""
    started = Campaign.objects.filter(pk=campaign.pk, state=State.STARTING).update(
        state=State.RUNNING, contacts_enrolled=enrolled
    )
    log.info("campaign %s started: %s calls enrolled", campaign.pk, enrolled)
    return bool(started)


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
        cancellable = [State.DRAFT, State.STARTING, State.RUNNING, State.PAUSED]
        updated = Campaign.objects.filter(pk=campaign.pk, state__in=cancellable).update(
            state=State.CANCELLED, finished_at=now
        )
        if not updated:
            campaign.refresh_from_db()
            _require(campaign, *cancellable)
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
