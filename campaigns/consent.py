"""Consent and purpose (PIPL Arts. 13-14; marketing calls only with consent).

A campaign declares its purpose (`Campaign.Purpose`: survey, service notice or marketing). A
contact's consent is two reserved variables, like its own hours (`campaigns.contacts.contact_hours`):
`consent_source` (where it was given: a form, a call, a contract) and `consent_time`, imported from
columns of those names or their aliases (`CONSENT_ALIASES`, Chinese too). A marketing campaign
enrols only contacts with one of them recorded (`transitions._ENROL_SQL`); the others are left out,
and the Start page, `campaign start`, `campaign status` and the API's status say how many
(`counts`, `counts_text`).

Its menus (its own and every script variant's) must offer an opt-out key, and the first message
must say so (`problems`, checked at Start). A menu is one level (IvrCall's MenuKeyMap: every key
answers the first prompt), so an option marked "opt out" is always reachable from it. What the
first message says is known when its start code is a TTS template in the registry: its text, with
the menu's own TTS params filled in, must name an opt-out key (the digit, or 九, 星号, 井号…). A voice
file or an unregistered template cannot be read: Start warns instead (`warnings`).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, Contact, MenuTemplate, TtsTemplate, code_kind, parse_tts_params

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


def counts_text(numbers: dict[str, int], started: bool) -> str:
    """The counts as a sentence: before Start (what will happen) or after (what happens)."""
    values = {"with": numbers["with"], "without": numbers["without"]}
    if not started:
        # The Start page's sentence (its template words it the same).
        return (
            _(
                "Marketing: %(with)s numbers have recorded consent and will be called; "
                "%(without)s without consent will be skipped."
            )
            % values
        )
    return (
        ngettext(
            "Marketing: %(with)s number with recorded consent is called; %(without)s without consent is skipped.",
            "Marketing: %(with)s numbers with recorded consent are called; %(without)s without consent are skipped.",
            numbers["with"],
        )
        % values
    )


# How a TTS text may name a key besides the key itself.
KEY_WORDS = {
    "0": "零〇", "1": "一幺", "2": "二两", "3": "三", "4": "四", "5": "五", "6": "六", "7": "七", "8": "八",
    "9": "九", "*": "星", "#": "井",
}  # fmt: skip


def mentions_key(text: str, key: str) -> bool:
    """Whether `text` names `key`: the key not inside a longer number, or its Chinese word."""
    if re.search(rf"(?<!\d){re.escape(key)}(?!\d)", text):
        return True
    return any(word in text for word in KEY_WORDS.get(key, ""))


def first_message(menu: MenuTemplate) -> str | None:
    """What the menu's first prompt says, its own TTS params filled in (placeholders for contact
    fields stay as written); None when it cannot be read (a voice file, a template not in the registry)."""
    code = (menu.start_code or "").strip()
    template = TtsTemplate.objects.filter(code=code).first() if code_kind(code) == "tts" else None
    if template is None:
        return None
    try:
        params = parse_tts_params(menu.start_tts_params)
    except ValidationError:  # saved before the check, or edited outside the form: nothing filled in
        params = {}
    return template.render({str(k): str(v) for k, v in params.items()})


def _opt_out_keys(menu: MenuTemplate) -> list[str]:
    return list(menu.options.filter(opt_out=True).order_by("position", "key").values_list("key", flat=True))


def problems(campaign: Campaign) -> list[str]:
    """What stops a marketing campaign from starting (empty for other purposes)."""
    if campaign.purpose != Campaign.Purpose.MARKETING:
        return []
    found = []
    for menu in campaign.played_menus():
        keys = _opt_out_keys(menu)
        if not keys:
            found.append(
                _("A marketing campaign's menu must offer an opt-out key (a key option marked “opt out”): %(menu)s.")
                % {"menu": menu.name}
            )
            continue
        heard = first_message(menu)
        if heard is not None and not any(mentions_key(heard, key) for key in keys):
            found.append(
                _(
                    "The first message of menu %(menu)s (%(code)s) must tell callees how to opt out, but its text "
                    "does not name the opt-out key %(keys)s: “%(text)s”."
                )
                % {"menu": menu.name, "code": menu.start_code, "keys": " / ".join(keys), "text": heard}
            )
    numbers = counts(campaign)
    if numbers and numbers["with"] == 0:
        found.append(_("No contact of the lists has recorded consent: a marketing campaign calls only those who do."))
    return found


def warnings(campaign: Campaign) -> list[str]:
    """What Start cannot check for a marketing campaign: a first message it cannot read."""
    if campaign.purpose != Campaign.Purpose.MARKETING:
        return []
    found = []
    for menu in campaign.played_menus():
        keys = _opt_out_keys(menu)
        if keys and first_message(menu) is None:
            found.append(
                _(
                    "The first message of menu %(menu)s plays %(code)s, whose text is not in the TTS template "
                    "registry: make sure it tells callees to press %(keys)s to opt out."
                )
                % {"menu": menu.name, "code": menu.start_code, "keys": " / ".join(sorted(keys))}
            )
    return found
