"""Consent and purpose (PIPL Arts. 13-14; marketing calls only with consent).

A campaign declares its purpose (`Campaign.Purpose`: survey, service notice or marketing). A
contact's consent is two reserved variables, like its own hours (`campaigns.contacts.contact_hours`):
`consent_source` (where it was given: a form, a call, a contract) and `consent_time`, imported from
columns of those names or their aliases (`CONSENT_ALIASES`, Chinese too). A marketing campaign
enrols only contacts with one of them recorded (`transitions._ENROL_SQL`); the others are left out,
and the Start page says how many (`counts`). Its menu must offer an opt-out key (`problems`).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Contact

CONSENT_SOURCE, CONSENT_TIME = "consent_source", "consent_time"
# Column titles as the importer compares them (casefolded, "_" and "-" as spaces).
CONSENT_ALIASES = {
    "consent source": CONSENT_SOURCE,
    "consent": CONSENT_SOURCE,
    "同意来源": CONSENT_SOURCE,
    "授权来源": CONSENT_SOURCE,
    "同意方式": CONSENT_SOURCE,
    "consent time": CONSENT_TIME,
    "consent date": CONSENT_TIME,
    "同意时间": CONSENT_TIME,
    "授权时间": CONSENT_TIME,
    "同意日期": CONSENT_TIME,
}


def consented() -> Q:
    """Contacts with a consent source or time recorded."""
    return (Q(variables__has_key=CONSENT_SOURCE) & ~Q(variables__consent_source="")) | (
        Q(variables__has_key=CONSENT_TIME) & ~Q(variables__consent_time="")
    )


def counts(campaign: Campaign) -> dict[str, int] | None:
    """For a marketing campaign, its distinct numbers with and without recorded consent (None otherwise)."""
    if campaign.purpose != Campaign.Purpose.MARKETING:
        return None
    contacts = Contact.objects.filter(contact_list__campaigns=campaign)
    total = contacts.values("phone").distinct().count()
    with_consent = contacts.filter(consented()).values("phone").distinct().count()
    return {"with": with_consent, "without": total - with_consent}


def problems(campaign: Campaign) -> list[str]:
    """What stops a marketing campaign from starting (empty for other purposes)."""
    if campaign.purpose != Campaign.Purpose.MARKETING:
        return []
    found = []
    if not campaign.menu.options.filter(opt_out=True).exists():
        found.append(_("A marketing campaign's menu must offer an opt-out key (a key option marked “opt out”)."))
    numbers = counts(campaign)
    if numbers and numbers["with"] == 0:
        found.append(_("No contact of the lists has recorded consent: a marketing campaign calls only those who do."))
    return found
