"""What staff may do to a campaign or its calls: checks and messages, then the transition.

Views, admin and commands call these; the state changes themselves are
`campaigns.transitions` functions (which refuse quietly; these explain the refusal).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campaigns import transitions
from campaigns.contacts.variables import variable_names_of
from campaigns.models import Campaign, Contact

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
    used = campaign.menu.unknown_placeholders(set())
    unknown = used - carried_variables(campaign, used)
    if unknown:
        problems.append(_("The menu uses variables no contact has: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    return problems


def carried_variables(campaign: Campaign, names: set[str]) -> set[str]:
    """Which of `names` the campaign's contacts carry: those among the lists' stored names,
    confirmed on the contacts (a stored name outlives the last contact carrying it). A name
    carried stops the look at its first contact; only a stale one reads the lists through."""
    lists = list(campaign.contact_lists.values_list("pk", flat=True))
    contacts = Contact.objects.filter(contact_list__in=lists)
    stored = set(variable_names_of(lists)) & names
    return {name for name in stored if contacts.filter(variables__has_key=name).exists()}


def start_campaign(campaign: Campaign, *, enrol_in_background: bool = False) -> int:
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
    started = transitions.do_start_campaign(campaign)
    campaign.refresh_from_db()
    if not started:
        _require(campaign, State.DRAFT)
    if enrol_in_background:
        enrolment.enqueue_enrolment(campaign)
        return 0
    enrolled = enrolment.run_enrolment(campaign.pk)
    campaign.refresh_from_db()
    return enrolled


def pause_campaign(campaign: Campaign, reason: str = "") -> bool:
    """Stop dialling; calls already claimed by workers are handed back unsent."""
    paused = transitions.do_pause_campaign(campaign, reason)
    campaign.refresh_from_db()
    if not paused:
        _require(campaign, State.RUNNING)
    return True


def resume_campaign(campaign: Campaign) -> bool:
    resumed = transitions.do_resume_campaign(campaign)
    campaign.refresh_from_db()
    if not resumed:
        _require(campaign, State.PAUSED)
    return True


def cancel_campaign(campaign: Campaign) -> int:
    """Stop for good: every call not yet sent is cancelled. Returns how many were."""
    cancelled = transitions.do_cancel_campaign(campaign)
    campaign.refresh_from_db()
    if cancelled is None:
        _require(campaign, State.DRAFT, State.STARTING, State.RUNNING, State.PAUSED)
    return cancelled


def settle_unknown_calls(call_ids: list[int], placed: bool) -> int:
    """An operator's decision on calls whose outcome stayed unknown.

    placed=False: they were not placed, dial them again (same attempt). placed=True: treat
    them as made without an answer (failed; retried only if the campaign retries failures).
    Calls settled meanwhile (by a receipt) are left alone. Returns how many were settled.
    """
    return transitions.do_settle_by_operator(list(call_ids), placed)
