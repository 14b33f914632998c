"""Where a mainland number is: its province, city and carrier, from `phonenumbers`' prefix data.

`phonenumbers` is slow (a lookup parses the number and walks its prefix tables), and the claim
asks for the region of every call it hands out, so lookups are cached in-process by prefix: a
mobile's region and carrier are fixed by its first 7 digits (phonenumbers' longest CN mobile
prefix), a landline's by `0` + its first 5 digits (its longest area-code prefix).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import phonenumbers
from phonenumbers import carrier as carriers
from phonenumbers import geocoder

_PROVINCE_RE = re.compile(r"^(.+?(?:省|自治区|特别行政区)|内蒙古|广西|西藏|宁夏|新疆|云南|四川)(.*)$")


class Region(NamedTuple):
    province: str
    city: str
    carrier: str


UNKNOWN = Region("", "", "")


def split_description(description: str) -> tuple[str, str]:
    """(province, city) from a geocoder description: 江苏省常州市 → (江苏省, 常州市); a municipality
        (北京市) is its own province and city, and so is a lone province. Autonomous regions may come
    without their suffix (内蒙古呼和浩特市 → (内蒙古, 呼和浩特市)), as may a few provinces."""
    match = _PROVINCE_RE.match(description)
    if match and match.group(2):
        # An area code shared by several cities (成都市、资阳市、眉山市) is its first city's.
        return match.group(1), match.group(2).split("、")[0]
    return description, description


def prefix_of(phone: str) -> str:
    """The part of a national number (11-digit mobile or 0 + area code + number) that fixes
    its region and carrier."""
    return phone[:7] if phone.startswith("1") else phone[:6]


def region_of(phone: str) -> Region:
    """The region of a national number ("" parts when unknown)."""
    if not phone or not phone.isdigit():
        return UNKNOWN
    return _region_of_prefix(prefix_of(phone), phone)


@functools.lru_cache(maxsize=65536)
def _region_of_prefix(prefix: str, phone: str) -> Region:
    # Cached by prefix: `phone` is only the first number seen with it (the rest cannot differ).
    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return UNKNOWN
    province, city = split_description(geocoder.description_for_number(parsed, "zh"))
    return Region(province, city, carriers.name_for_number(parsed, "zh"))


def describe(region: Region) -> str:
    """The region as one phrase (江苏省常州市, 北京市), "" when unknown."""
    if region.city and region.city != region.province:
        return region.province + region.city
    return region.province
