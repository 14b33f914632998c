"""Mainland China phone numbers, normalised to the national form Aliyun dials.

`normalize()` returns an 11-digit mobile (``13800138000``) or a landline as ``0`` +
area code + number (``01012345678``). Anything else raises `InvalidNumber`, which carries
the reason shown next to the rejected row (a code and params, `campaigns.reasons`).

Rules (reported, not guessed):
- ``+86``/``0086``/``86`` prefixes, spaces, dashes, dots, slashes, parentheses,
  full-width characters, a leading apostrophe and Excel's ``="…"`` text wrapper are
  accepted; a trunk ``(0)`` after the country code is dropped.
- Every Unicode decimal digit (Arabic-Indic ``٨``, Devanagari, full-width...) is read as
  its ASCII digit, so a look-alike of a do-not-call number is that number; other digit-like
  characters (``²``) make the value not a number. What is stored and compared is ASCII.
- Spreadsheet damage (``1.38E+10``) is rejected: the digits are lost.
- A landline needs its area code with the leading ``0`` (or the country code);
  ``1012345678`` could as well be a mobile with a digit missing.
- Extensions, 400/800 service numbers, short numbers and foreign numbers cannot be
  dialled by Aliyun's domestic voice service and are rejected.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from campaigns import reasons

FULLWIDTH = str.maketrans(
    "０１２３４５６７８９＋（）－．／　\u00a0—–‐‑",
    "0123456789+()-./  ----",
)
_CN = phonenumbers.PhoneMetadata.metadata_for_region("CN")
# Exactly phonenumbers' own mobile pattern, so the fast path agrees with the slow one.
# re.ASCII throughout: `\d` would otherwise match any Unicode digit.
MOBILE_RE = re.compile(f"(?:{_CN.mobile.national_number_pattern})", re.ASCII)
SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$", re.ASCII)
FLOAT_TAIL_RE = re.compile(r"^(\d{8,})\.0+$", re.ASCII)
EXTENSION_RE = re.compile(r"(?:ext\.?|extension|x|转|分机|#)\s*\d+\s*$", re.IGNORECASE | re.ASCII)
TRAILING_EXTENSION_RE = re.compile(r"\d[\s-]*[-][\s-]*\d{8}[\s-]*[-]\s*\d{1,5}$", re.ASCII)
SEPARATORS_RE = re.compile(r"[\s\-./()]+")
TRUNK_ZERO_RE = re.compile(r"\(\s*0\s*\)")


class InvalidNumber(reasons.ReasonError):
    """Why a number cannot be dialled; user-facing, its reason stored with a rejected row."""


def is_plain_mobile(text: str) -> bool:
    """The fast path: 11 ASCII digits that phonenumbers would call a CN mobile."""
    return len(text) == 11 and text.isascii() and text.isdigit() and MOBILE_RE.fullmatch(text) is not None


def ascii_digits(text: str) -> str:
    """The text with every Unicode decimal digit replaced by its ASCII digit."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def normalize(raw: object) -> str:
    """Return an 11-digit mobile or 0 + area code + number; raise InvalidNumber otherwise."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if is_plain_mobile(text):
        return text
    text = _clean(text)
    if not text:
        raise InvalidNumber("phone.empty")
    if is_plain_mobile(text):
        return text
    value = str(raw).strip()
    if SCIENTIFIC_RE.match(text):
        raise InvalidNumber("phone.spreadsheet_damage", value=value)
    float_tail = FLOAT_TAIL_RE.match(text)
    if float_tail:
        text = float_tail.group(1)
    if EXTENSION_RE.search(text) or TRAILING_EXTENSION_RE.search(text):
        raise InvalidNumber("phone.extension", value=value)
    text = TRUNK_ZERO_RE.sub(" ", text)
    digits = SEPARATORS_RE.sub("", text)
    international = digits.startswith("+")
    digits = digits.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidNumber("phone.not_a_number", value=value)
    if digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        if not digits.startswith("86"):
            raise InvalidNumber("phone.foreign", value=value)
        national = digits[2:]
        if national.startswith("0"):
            national = national[1:]
    elif len(digits) == 13 and digits.startswith("861"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif len(digits) <= 6:
        raise InvalidNumber("phone.too_short", value=value)
    elif digits.startswith("1") and len(digits) > 8:
        national = digits
        if len(digits) != 11:
            raise InvalidNumber("phone.mobile_digits", count=len(digits), value=value)
    elif digits.startswith(("400", "800")):
        raise InvalidNumber("phone.service_number", value=value)
    else:
        raise InvalidNumber("phone.no_area_code", value=value)
    return _national(national, value)


def _clean(text: str) -> str:
    text = ascii_digits(text.translate(FULLWIDTH)).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.strip().strip("'\"").strip()


def _national(national: str, value: str) -> str:
    if national.startswith("1") and len(national) == 11:
        if MOBILE_RE.fullmatch(national):
            return national
        raise InvalidNumber("phone.invalid_mobile", value=value)
    if len(national) < 7:
        raise InvalidNumber("phone.too_short", value=value)
    parsed = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
    kind = phonenumbers.number_type(parsed)
    if kind in (phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST):
        raise InvalidNumber("phone.service_number", value=value)
    if kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return "0" + national
    raise InvalidNumber("phone.invalid", value=value)
