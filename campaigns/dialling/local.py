"""Local presence: each call goes out on a caller number in the callee's city, else province,
else any (campaign setting `local_presence`; "only" leaves a call with no local number queued).

Choosing is plain dictionary work on what the claim already holds: the callee's region comes
from `campaigns.regions` (cached by prefix), the campaign's numbers by city and province from an
index kept in-process for INDEX_SECONDS (one query a minute per campaign and process), and room
from the claim's `capacity`. A batch of 20 calls costs about twenty dictionary lookups, however
many caller numbers the campaign has (bench/local_presence_bench.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from campaigns import regions
from campaigns.models import Call, CallerNumber, Campaign

Local = Call.Local
LocalPresence = Campaign.LocalPresence
# A changed caller number (its region, whether active) counts here within this long.
INDEX_SECONDS = 60.0
# How many due calls a local-only claim looks through for each one it may take.
LOCAL_ONLY_LOOKAHEAD = 5


@dataclass
class NumberIndex:
    """A campaign's active caller numbers by city and by province."""

    by_city: dict[str, list[int]] = field(default_factory=dict)
    by_province: dict[str, list[int]] = field(default_factory=dict)
    built_at: float = 0.0

    @classmethod
    def of(cls, numbers: Iterable[tuple[int, str, str]]) -> NumberIndex:
        """From (id, province, city) rows."""
        index = cls(built_at=time.monotonic())
        for pk, province, city in numbers:
            if city:
                index.by_city.setdefault(city, []).append(pk)
            if province:
                index.by_province.setdefault(province, []).append(pk)
        return index


_indexes: dict[int, NumberIndex] = {}
_lock = threading.Lock()


def index_for(campaign_id: int) -> NumberIndex:
    """The campaign's index, rebuilt when older than INDEX_SECONDS."""
    index = _indexes.get(campaign_id)
    if index is None or time.monotonic() - index.built_at > INDEX_SECONDS:
        rows = CallerNumber.objects.filter(campaigns=campaign_id, active=True).values_list("pk", "province", "city")
        index = NumberIndex.of(rows)
        with _lock:
            _indexes[campaign_id] = index
    return index


def forget_indexes() -> None:
    """Drop every cached index (tests; an admin edit waits for INDEX_SECONDS otherwise)."""
    with _lock:
        _indexes.clear()


def _roomiest(candidates: list[int] | None, free: dict[int, int], taken: dict[int, int]) -> int | None:
    best, best_room = None, 0
    for number in candidates or ():
        room = free.get(number, 0) - taken.get(number, 0)
        if room > best_room:
            best, best_room = number, room
    return best


Spread = Callable[[list[int], dict[int, int]], dict[int, list[int]]]


def choose(
    calls: list[tuple[int, str]], capacity: dict[int, int], index: NumberIndex, only: bool, spread: Spread
) -> tuple[dict[int, list[int]], dict[int, str]]:
    """Caller number → call ids, and call id → how local its number is, for (id, phone) calls.

    Each call takes the number with most room in the callee's city, else province; the rest go
    to `spread` over the room left (local first: never left waiting while any number has room)
    or, local only, are left out (they stay queued)."""
    taken: dict[int, int] = {}
    assignments: dict[int, list[int]] = {}
    local: dict[int, str] = {}
    rest: list[int] = []
    for call_id, phone in calls:
        region = regions.region_of(phone)
        number = _roomiest(index.by_city.get(region.city), capacity, taken) if region.city else None
        how = Local.CITY
        if number is None and region.province:
            number = _roomiest(index.by_province.get(region.province), capacity, taken)
            how = Local.PROVINCE
        if number is None:
            rest.append(call_id)
            continue
        taken[number] = taken.get(number, 0) + 1
        assignments.setdefault(number, []).append(call_id)
        local[call_id] = how
    if rest and not only:
        left = {number: room - taken.get(number, 0) for number, room in capacity.items()} if taken else capacity
        for number, call_ids in spread(rest, {n: room for n, room in left.items() if room > 0}).items():
            assignments.setdefault(number, []).extend(call_ids)
            local.update(dict.fromkeys(call_ids, Local.NONE))
    return assignments, local


def regions_wanted(phones: Iterable[str]) -> tuple[set[str], set[str]]:
    """The cities and provinces of these callees."""
    cities, provinces = set(), set()
    for phone in phones:
        region = regions.region_of(phone)
        if region.city:
            cities.add(region.city)
        if region.province:
            provinces.add(region.province)
    return cities, provinces
