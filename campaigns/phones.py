"""Mainland China phone numbers, normalised to the national form Aliyun dials."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _

FULLWIDTH = str.maketrans("０１２３４５６７８９＋（）－　", "0123456789+()- ")


class InvalidNumber(ValueError):
    """The reason is user-facing text."""


def normalize(raw: str) -> str:
    """Return an 11-digit mobile or 0 + area code + number; raise InvalidNumber otherwise."""
    text = (raw or "").translate(FULLWIDTH).strip()
    if not text:
        raise InvalidNumber(_("empty phone number"))
    if "e+" in text.lower() or "e-" in text.lower():
        raise InvalidNumber(
            _("number was damaged by a spreadsheet (%(value)s); format the column as text") % {"value": raw}
        )
    # Fast path: a plain 11-digit mobile is by far the most common shape.
    if len(text) == 11 and text.isdigit() and text[0] == "1":
        candidate = text
    else:
        candidate = None
    try:
        parsed = phonenumbers.parse(candidate or text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(_("not a phone number: %(value)s") % {"value": raw}) from exc
    if parsed.country_code != 86:
        raise InvalidNumber(_("not a mainland China number: %(value)s") % {"value": raw})
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(_("invalid mainland China number: %(value)s") % {"value": raw})
    kind = phonenumbers.number_type(parsed)
    national = str(parsed.national_number)
    mobile_kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if kind in mobile_kinds and len(national) == 11:
        return national
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return "0" + national
    raise InvalidNumber(_("neither a mobile nor a landline with area code: %(value)s") % {"value": raw})
