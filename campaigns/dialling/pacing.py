"""Request pacing shared by every worker on every machine, kept in Redis.

A generic cell rate algorithm (GCRA) per limiter: each limiter stores the theoretical
arrival time (TAT) of its next request. A caller *reserves* the next slot of every
limiter it must respect (the account's QPS and its campaign's own rate) in one atomic
script, then sleeps until that slot. Slots are spaced 1/rate apart with no burst, so
no sliding one-second window ever sees more than `rate` requests, whichever worker
sends them. Redis' own clock is the clock, so machines need not agree on the time.
Plain Python and Redis: the caller passes the connection and the account's rate.
"""

from __future__ import annotations

import time

import redis

ACCOUNT_KEY = "ivrsite:pace:account"
# Slots are spaced for this share of each limit. The limit is enforced where requests
# arrive (Aliyun's window, the simulator's), after signing, scheduling and the network
# have added jitter; 3 % of a second (30 ms) absorbs it instead of drawing Throttling.User.
HEADROOM = 0.97

# KEYS: limiter keys. ARGV: max_wait_us, then one interval_us per key.
# Returns the wait in microseconds before the reserved slot, or -wait when the slot is
# further away than max_wait (nothing reserved then: the caller should do other work).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max_wait = tonumber(ARGV[1])
local start = now
for i, key in ipairs(KEYS) do
    local tat = tonumber(redis.call('GET', key) or '0')
    if tat > start then start = tat end
end
local wait = start - now
if wait > max_wait then return -wait end
for i, key in ipairs(KEYS) do
    local interval = tonumber(ARGV[i + 1])
    redis.call('SET', key, start + interval, 'PX', math.floor(interval / 1000) + 60000)
end
return wait
"""


def redis_connection(url: str) -> redis.Redis:
    """The process's connection to the Redis at `url` (one pool per URL, shared by threads)."""
    if url not in _connections:
        _connections[url] = redis.Redis.from_url(url)
    return _connections[url]


_connections: dict[str, redis.Redis] = {}


class Pacer:
    """Reserve request slots across the account limit and any narrower limits."""

    def __init__(self, connection: redis.Redis, account_qps: int, account_key: str = ACCOUNT_KEY):
        """`account_key`/`account_qps`: the account whose budget every slot counts against
        (default key: the environment's account)."""
        self.redis = connection
        self.account_qps = account_qps
        self.account_key = account_key
        self._script = self.redis.register_script(_RESERVE)

    def reserve(self, limits: dict[str, float], max_wait: float = 1.0) -> float | None:
        """Reserve one slot under the account limit and `limits` ({key: requests/s}).

        Returns the seconds to sleep before sending, or None when the next slot is more
        than `max_wait` away (nothing was reserved).
        """
        rates = {self.account_key: float(self.account_qps), **limits}
        keys = list(rates)
        intervals = [int(1_000_000 / (rate * HEADROOM)) for rate in rates.values()]
        wait_us = self._script(keys=keys, args=[int(max_wait * 1_000_000), *intervals])
        if wait_us < 0:
            return None
        return wait_us / 1_000_000

    def next_slot(self, limits: dict[str, float], give_up_after: float = 5.0) -> float | None:
        """Reserve a slot without waiting for it: its time on `time.monotonic()`'s clock, or
        None if none could be had within the bound. The caller does its own work meanwhile
        (e.g. the database write before a send), then `sleep_until(slot)`."""
        deadline = time.monotonic() + give_up_after
        while True:
            asked = time.monotonic()
            wait = self.reserve(limits, max_wait=1.0)
            if wait is not None:
                return asked + wait
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def keep_slot(self, limits: dict[str, float], slot: float, give_up_after: float = 5.0) -> bool:
        """Sleep until `slot`; if it has slipped by more than LATE_TOLERANCE (the work before the
        send took too long, or the thread woke up late), reserve a fresh one. False if none
        could be had."""
        while True:
            while time.monotonic() - slot > LATE_TOLERANCE:
                fresh = self.next_slot(limits, give_up_after)
                if fresh is None:
                    return False
                slot = fresh
            sleep_until(slot)
            # A busy machine may wake this thread well after the slot: then it is late too.
            if time.monotonic() - slot <= LATE_TOLERANCE:
                return True


# A request that would leave later than this after its slot takes a new slot instead:
# late requests bunch up against punctual ones, and the limit counts arrivals.
LATE_TOLERANCE = 0.015


def backlog(connection: redis.Redis, keys: list[str]) -> list[float]:
    """Seconds until each limiter's next free slot (0 when free now): how far ahead its slots
    are reserved, by Redis' clock. One round trip."""
    pipe = connection.pipeline(transaction=False)
    pipe.time()
    pipe.mget(keys)
    (seconds, micros), tats = pipe.execute()
    now = seconds * 1_000_000 + micros
    return [max(0.0, (int(tat) - now) / 1_000_000) if tat else 0.0 for tat in tats]


def sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def campaign_key(campaign_id: int) -> str:
    return f"ivrsite:pace:campaign:{campaign_id}"
