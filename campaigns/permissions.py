"""Who may download personal data.

The rule: a download holds what the pages behind it would show, so it needs the view
permission of every page it copies. Phone numbers, names and variables are contact data
(the contact pages need `view_contact`); statuses, keys pressed and answers per number are
call data (the call pages need `view_call`). So:

- a contact list export (CSV/XLSX) needs `view_contactlist` and `view_contact`;
- a campaign's results export needs `view_campaign`, `view_contact` and `view_call`;
- both, and every other per-person export, need `see_full_phone_numbers` too (an export is
  the numbers in full: `campaigns.privacy`); a refusal says so (`refusal`);
- any later export of contacts or calls (segments, cross-tabs per number) asks
  `may_export_contacts` / `may_export_results` below, never the page's own permission alone.

Aggregates (the dashboard's counts and percentages) name nobody and need `view_campaign` only.

What a page shows follows the same rule (SECURITY.md, "What each role can see"):
- phone numbers, names and per-person answers on a call page need `view_contact` too
  (`may_see_contacts`);
- phone numbers and raw elements on the receipt and rejected-push pages need `view_call` and
  `view_contact` (`may_see_people`);
- a cross-tab cell of fewer than five contacts goes to "other" unless `may_export_results`;
- importing (whose preview says which numbers a list holds and under which names) needs
  `change_contactlist`, `view_contact` and `add_contact` (`may_import_contacts`).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from campaigns.privacy import SEE_NUMBERS

CONTACT_EXPORT_PERMISSIONS = ("campaigns.view_contactlist", "campaigns.view_contact", SEE_NUMBERS)
RESULTS_EXPORT_PERMISSIONS = ("campaigns.view_campaign", "campaigns.view_contact", "campaigns.view_call", SEE_NUMBERS)


PEOPLE_PERMISSIONS = ("campaigns.view_contact", "campaigns.view_call")
IMPORT_PERMISSIONS = ("campaigns.change_contactlist", "campaigns.view_contact", "campaigns.add_contact")


def may_see_contacts(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Phone numbers, names and answers on pages of other models (calls)."""
    return user.is_active and user.is_staff and user.has_perm("campaigns.view_contact")


def may_see_people(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Phone numbers and raw elements on the receipt pages: what the call and contact pages show."""
    return user.is_active and user.is_staff and user.has_perms(PEOPLE_PERMISSIONS)


def may_import_contacts(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_active and user.is_staff and user.has_perms(IMPORT_PERMISSIONS)


def may_export_contacts(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_active and user.is_staff and user.has_perms(CONTACT_EXPORT_PERMISSIONS)


def may_export_results(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_active and user.is_staff and user.has_perms(RESULTS_EXPORT_PERMISSIONS)


def refusal() -> PermissionDenied:
    """The 403 of a per-person export, with what it takes."""
    return PermissionDenied(
        _(
            "This download names people (full phone numbers). It needs the permission “See full phone "
            "numbers” and the view permissions of the contacts and calls; ask an administrator."
        )
    )
