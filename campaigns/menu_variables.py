"""Which `${var}` of a menu a contact list does not carry: checked when a menu or a campaign is
saved (the admin warns and links to the list or the menu to change), and again at Start
(`campaigns.actions.campaigns.check_ready`).

A list's variables are the names it stores (`ContactList.variable_columns`, kept by every write
of its contacts): no contact is read. The built-in fields (`name`, `phone`) every contact has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from campaigns.contacts.variables import variable_names_of
from campaigns.models import Campaign, ContactList, MenuTemplate


@dataclass(frozen=True)
class Gap:
    """A list whose contacts lack variables the menu uses: they would hear them blank."""

    contact_list: ContactList
    missing: list[str]  # the menu's variables the list does not have
    has: list[str]  # the variables the list has, in its order


def menu_variables(menu: MenuTemplate) -> set[str]:
    """The contact variables a menu's TTS params use (built-in fields left out)."""
    return menu.unknown_placeholders(set())


def gaps(menu: MenuTemplate, lists: Iterable[ContactList]) -> list[Gap]:
    """One `Gap` per list lacking some of the menu's variables, in the lists' order."""
    return _lacking(menu_variables(menu), lists)


def _lacking(used: set[str], lists: Iterable[ContactList]) -> list[Gap]:
    if not used:
        return []
    found = []
    for contact_list in lists:
        has = variable_names_of([contact_list.pk])
        missing = sorted(used - set(has))
        if missing:
            found.append(Gap(contact_list, missing, has))
    return found


def campaign_variables(campaign: Campaign) -> set[str]:
    """The contact variables any menu the campaign plays uses."""
    return set().union(*(menu_variables(menu) for menu in campaign.played_menus()))


def campaign_gaps(campaign: Campaign) -> list[Gap]:
    """The gaps between a campaign's lists and the menus it plays (`Campaign.played_menus`)."""
    return _lacking(campaign_variables(campaign), campaign.contact_lists.order_by("name"))


def drafts_using(menu: MenuTemplate) -> list[tuple[Campaign, list[Gap]]]:
    """Each draft campaign playing the menu (as its own or a script variant's) whose lists lack
    some of its variables (a started campaign plays the copy frozen at its Start: editing the
    menu no longer changes it)."""
    found = []
    drafts = Campaign.objects.filter(Q(menu=menu) | Q(script_variants__menu=menu), state=Campaign.State.DRAFT)
    for campaign in drafts.distinct().order_by("name"):
        if campaign.menu_id == menu.pk:
            campaign.menu = menu  # the menu as just saved
        lacking = campaign_gaps(campaign)
        if lacking:
            found.append((campaign, lacking))
    return found
