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
    """A campaign's active caller numbers by city and by province, and each number's place."""

    by_city: dict[str, list[int]] = field(default_factory=dict)
    by_province: dict[str, list[int]] = field(default_factory=dict)
    place: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (province, city)
    built_at: float = 0.0
    # Where the next look through a city's or province's numbers starts (round-robin).
    cursor: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, numbers: Iterable[tuple[int, str, str]]) -> NumberIndex:
        """From (id, province, city) rows."""
        index = cls(built_at=time.monotonic())
        for pk, province, city in numbers:
            index.place[pk] = (province, city)
            if city:
                index.by_city.setdefault("c:" + city, []).append(pk)
            if province:
                index.by_province.setdefault("p:" + province, []).append(pk)
        return index

    def free_number(self, key: str, capacity: dict[int, int], taken: dict[int, int]) -> int | None:
        """A number of the city or province `key` with room left, taking turns among them: the
        shorter of its numbers and the claim's are looked through."""
        candidates = self.by_city.get(key) if key.startswith("c:") else self.by_province.get(key)
        if not candidates:
            return None
        if len(capacity) < len(candidates):
            part, name = (1, key[2:]) if key.startswith("c:") else (0, key[2:])
            for number, room in capacity.items():
                if room > taken.get(number, 0) and self.place.get(number, ("", ""))[part] == name:
                    return number
            return None
        start = self.cursor.get(key, 0)
        count = len(candidates)
        for step in range(count):
            number = candidates[(start + step) % count]
            if capacity.get(number, 0) > taken.get(number, 0):
                self.cursor[key] = (start + step + 1) % count
                return number
        return None


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


Spread = Callable[[list[int], dict[int, int]], dict[int, list[int]]]


def choose(
    calls: list[tuple[int, str]], capacity: dict[int, int], index: NumberIndex, only: bool, spread: Spread
) -> tuple[dict[int, list[int]], dict[int, str]]:
    """Caller number → call ids, and call id → how local its number is, for (id, phone) calls.

    Each call takes a number with room in the callee's city, else province (in turn); the rest go
    to `spread` over the room left (local first: never left waiting while any number has room)
    or, local only, are left out (they stay queued)."""
    taken: dict[int, int] = {}
    assignments: dict[int, list[int]] = {}
    local: dict[int, str] = {}
    rest: list[int] = []
    for call_id, phone in calls:
        region = regions.region_of(phone)
        number = index.free_number("c:" + region.city, capacity, taken) if region.city else None
        how = Local.CITY
        if number is None and region.province:
            number = index.free_number("p:" + region.province, capacity, taken)
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
