"""What staff may do to a campaign: checks and messages, then the transition and its audit event.

The states each action accepts are `campaigns.transitions.CAMPAIGN_TRANSITIONS`: `allowed()`
reads them for the admin's buttons and bulk actions, and a refusal names them.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actors import Actor
from campaigns import transitions
from campaigns.contacts.variables import variable_names_of
from campaigns.models import Campaign, Contact

log = logging.getLogger(__name__)
State = Campaign.State


class TransitionError(ValidationError):
    pass


def allowed(event: str) -> list[str]:
    """The states a campaign may be in for `event` ("start", "pause", "resume", "cancel")."""
    return sorted(transitions.CAMPAIGN_TRANSITIONS[event].sources)


def _require(campaign: Campaign, event: str) -> None:
    states = allowed(event)
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
    from campaigns.consent import problems as consent_problems
    from campaigns.followups import start_problems
    from campaigns.menu_variables import campaign_variables

    problems = start_problems(campaign)
    if problems:
        return problems
    if not campaign.contact_lists.exists():
        problems.append(_("Add at least one contact list."))
    elif not campaign.contact_lists.filter(contacts__isnull=False).exists():
        problems.append(_("The contact lists are empty."))
    if not campaign.caller_numbers.filter(active=True).exists():
        problems.append(_("Add at least one active caller number."))
    used = campaign_variables(campaign)  # its menu's and its script variants'
    unknown = used - carried_variables(campaign, used)
    if unknown:
        problems.append(_("The menu uses variables no contact has: %(names)s.") % {"names": ", ".join(sorted(unknown))})
        problems.append(lists_variables_text(campaign))
    return problems + consent_problems(campaign)


def lists_variables_text(campaign: Campaign) -> str:
    """What each of the campaign's lists carries, and what to change: the start check's hint."""
    lists = list(campaign.contact_lists.order_by("name"))
    described = "; ".join(
        _("“%(list)s”: %(names)s") % {"list": item.name, "names": ", ".join(variable_names_of([item.pk])) or _("none")}
        for item in lists
    )
    return _(
        "Variables of each list: %(lists)s. Change the menu's TTS params, or import a column of that name into a list."
    ) % {"lists": described}


def carried_variables(campaign: Campaign, names: set[str]) -> set[str]:
    """Which of `names` the campaign's contacts carry: those among the lists' stored names,
    confirmed on the contacts (a stored name outlives the last contact carrying it). A name
    carried stops the look at its first contact; only a stale one reads the lists through."""
    lists = list(campaign.contact_lists.values_list("pk", flat=True))
    contacts = Contact.objects.filter(contact_list__in=lists)
    stored = set(variable_names_of(lists)) & names
    return {name for name in stored if contacts.filter(variables__has_key=name).exists()}


def do_start_campaign(campaign: Campaign, *, actor: Actor, enrol_in_background: bool = False) -> int:
    """Freeze the menu and enrol the contacts (`campaigns.enrolment`); dialling starts once they are.

    The campaign is `starting` while its contacts are enrolled. In the background (the admin:
    the request returns at once, the enrolment job sets the campaign running and its progress
    shows on the campaign's page) this returns 0; otherwise (the command line) it enrols here
    and returns the number of calls enrolled.
    """
    from campaigns import enrolment

    problems = check_ready(campaign)
    if problems:
        raise TransitionError(problems)
    with transaction.atomic(durable=True):
        started = transitions.do_start_campaign(campaign, actor)
    campaign.refresh_from_db()
    if not started:
        _require(campaign, "start")
    if enrol_in_background:
        enrolment.enqueue_enrolment(campaign)
        return 0
    enrolled = enrolment.run_enrolment(campaign.pk)
    campaign.refresh_from_db()
    return enrolled


def do_pause_campaign(campaign: Campaign, *, actor: Actor, reason: str | dict = "") -> bool:
    """Stop dialling; calls already claimed by workers are handed back unsent."""
    with transaction.atomic(durable=True):
        paused = transitions.do_pause_campaign(campaign, actor, reason)
    campaign.refresh_from_db()
    if not paused:
        _require(campaign, "pause")
    return True


def do_resume_campaign(campaign: Campaign, *, actor: Actor) -> bool:
    with transaction.atomic(durable=True):
        resumed = transitions.do_resume_campaign(campaign, actor)
    campaign.refresh_from_db()
    if not resumed:
        _require(campaign, "resume")
    return True


def do_cancel_campaign(campaign: Campaign, *, actor: Actor) -> int:
    """Stop for good: every call not yet sent is cancelled. Returns how many were."""
    with transaction.atomic(durable=True):
        cancelled = transitions.do_cancel_campaign(campaign, actor)
    campaign.refresh_from_db()
    if cancelled is None:
        _require(campaign, "cancel")
    return cancelled or 0  # None past _require: the state changed under us, and nothing was cancelled
