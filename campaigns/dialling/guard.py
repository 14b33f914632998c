"""The callee frequency guard: how often one called number may be dialled, across every
campaign, account and worker (`CALLEE_LIMITS`, by default Aliyun's own rule for one
callee: 1 call a minute, 5 an hour, 20 a day, each a rolling window).

A call that would break a limit is deferred until it would not; it is not an attempt.

State lives in Redis, one sorted set per called number (`ivrsite:guard:n:<phone>`):
members name calls (`<call id>`, or `db:<call id>` when read back from the database),
scores are when they were dialled (ms on Redis' clock, so machines need not agree on
the time). Each set expires once its newest entry leaves the longest window.
`screen` runs ONE Lua script per claimed batch: for each call it counts that number's
entries in every window and either records the call (allowed) or answers how long until
it would be allowed. Cost on the hot path: one Redis round trip per batch of 20 calls.

Why Redis with the database behind it: every worker must see every other worker's
reservations at once, atomically (two campaigns claiming the same number in the same
millisecond), which a Lua script gives for the price of one round trip; the database
alone would need a lock per number. But Redis may restart empty, and an empty guard
would let a burst through to numbers called minutes before. So the marker
`ivrsite:guard:since` records when this Redis began holding the guard's state; for the
first longest window after it, a number without a set may have been called before the
restart, and the script reports it as unknown instead of allowing it. Those numbers'
recent calls (sent, or claimed and about to be sent) are read from the database in one
indexed query per batch, written into their sets, and the script asked again. After one
longest window, a missing set means no call.

(A Redis restored from an old snapshot brings the marker back with stale sets: run the
guard's Redis without persistence or with `appendfsync everysec`, as RQ's usually is.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.dialling import pacing
from campaigns.models import Call

log = logging.getLogger(__name__)

SINCE_KEY = "ivrsite:guard:since"
KEY_PREFIX = "ivrsite:guard:n:"
# A call is recorded when claimed and sent a moment later (pacing, signing): windows are
# this much longer than configured, so the next call to a number is never sent early.
LEEWAY_MS = 5000

# KEYS: [SINCE_KEY, one set per call]. ARGV: mode ('check' | 'seeded' | 'dry'), longest
# window ms, number of limits, then (count, window ms) per limit, then one member per call.
# Returns one integer per call: 0 allowed (and recorded unless dry), > 0 ms until allowed,
# -1 unknown (Redis lost the state recently; read the database, then ask with 'seeded').
_SCREEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[1]
local longest = tonumber(ARGV[2])
local nlimits = tonumber(ARGV[3])
local leeway = tonumber(ARGV[4])
local first_member = 5 + 2 * nlimits
local since = tonumber(redis.call('GET', KEYS[1]) or '0')
if since == 0 then
    since = now
    redis.call('SET', KEYS[1], now)
end
local cold = (now - since) < longest
local out = {}
for i = 2, #KEYS do
    local key = KEYS[i]
    local member = ARGV[first_member + i - 2]
    if cold and mode == 'check' and redis.call('EXISTS', key) == 0 then
        out[#out + 1] = -1
    else
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest - leeway)
        local wait = 0
        for j = 1, nlimits do
            local count = tonumber(ARGV[3 + 2 * j])
            local window = tonumber(ARGV[4 + 2 * j]) + leeway
            local entries = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES')
            local scores = {}
            for k = 1, #entries, 2 do
                if entries[k] ~= member then scores[#scores + 1] = tonumber(entries[k + 1]) end
            end
            if #scores >= count then
                -- allowed again once enough of the oldest entries have left the window
                local free_at = scores[#scores - count + 1] + window
                if free_at - now > wait then wait = free_at - now end
            end
        end
        if wait > 0 then
            out[#out + 1] = wait
        else
            if mode ~= 'dry' then
                redis.call('ZADD', key, now, member)
                redis.call('PEXPIRE', key, longest + leeway)
            end
            out[#out + 1] = 0
        end
    end
end
return out
"""

# KEYS: sets; ARGV: longest+leeway ms, then (key index, score ms, member) triples.
_SEED = """
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV, 3 do
    local key = KEYS[tonumber(ARGV[i])]
    redis.call('ZADD', key, 'NX', tonumber(ARGV[i + 1]), ARGV[i + 2])
    redis.call('PEXPIRE', key, ttl)
end
return 1
"""


def _redis():
    return pacing.redis_connection(settings.REDIS_URL)


def limits() -> list[tuple[int, int]]:
    """(calls, seconds) windows from `CALLEE_LIMITS`; empty: the guard is off."""
    return list(settings.CALLEE_LIMITS)


def enabled() -> bool:
    return bool(settings.CALLEE_LIMITS)


def longest_window() -> dt.timedelta:
    return dt.timedelta(seconds=max(seconds for _count, seconds in limits()))


def key(phone: str) -> str:
    return KEY_PREFIX + phone


def member(call: Call) -> str:
    # The call's id alone: a call claimed again (handed back, recovered from a dead worker,
    # deferred) replaces its own earlier entry instead of being held back by it.
    return str(call.pk)


def _run(mode: str, calls: list[Call]) -> list[int]:
    redis = _redis()
    windows = limits()
    longest_ms = max(seconds for _count, seconds in windows) * 1000
    args: list = [mode, longest_ms, len(windows), LEEWAY_MS]
    for count, seconds in windows:
        args += [count, seconds * 1000]
    args += [member(call) for call in calls]
    script = redis.register_script(_SCREEN)
    return [int(wait) for wait in script(keys=[SINCE_KEY, *(key(call.phone) for call in calls)], args=args)]


def screen(calls: list[Call], now: dt.datetime | None = None) -> dict[int, dt.datetime]:
    """Record the calls that may be dialled now; the others by id → when they may be.

    One Redis round trip, plus a database query and two more round trips only for numbers
    Redis cannot vouch for (the first longest window after it started empty).
    """
    if not enabled() or not calls:
        return {}
    now = now or timezone.now()
    waits = dict(zip([c.pk for c in calls], _run("check", calls), strict=True))
    unknown = [call for call in calls if waits[call.pk] < 0]
    if unknown:
        seed_from_database(unknown, exclude=[c.pk for c in calls], now=now)
        waits.update(zip([c.pk for c in unknown], _run("seeded", unknown), strict=True))
    return {pk: now + dt.timedelta(milliseconds=wait) for pk, wait in waits.items() if wait > 0}


def next_allowed(call: Call, now: dt.datetime | None = None) -> dt.datetime:
    """When a new call to this call's number would be allowed (records nothing)."""
    now = now or timezone.now()
    if not enabled():
        return now
    probe = Call(pk=0, phone=call.phone)  # no call has id 0
    wait = _run("dry", [probe])[0]
    return now + dt.timedelta(milliseconds=max(wait, 0))


def forget(calls: Iterable[Call]) -> None:
    """Take back the records of claimed calls that were not dialled after all."""
    calls = list(calls)
    if not enabled() or not calls:
        return
    pipe = _redis().pipeline(transaction=False)
    for call in calls:
        pipe.zrem(key(call.phone), member(call))
    pipe.execute()


_KEEP = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then
    redis.call('ZADD', KEYS[1], score, ARGV[2])
    redis.call('ZREM', KEYS[1], ARGV[1])
end
return score and 1 or 0
"""


def keep(call: Call) -> None:
    """Aliyun counted this call although it will be dialled again (refused for frequency):
    its entry stays under a name of its own, so dialling it again cannot replace it."""
    if not enabled():
        return
    redis = _redis()
    stamp = redis.time()
    redis.register_script(_KEEP)(keys=[key(call.phone)], args=[member(call), f"kept:{call.pk}:{stamp[0]}{stamp[1]}"])


def seed_from_database(calls: list[Call], exclude: list[int], now: dt.datetime) -> int:
    """Write the database's recent calls to these numbers into their sets (idempotent)."""
    phones = sorted({call.phone for call in calls})
    cutoff = now - longest_window()
    rows = (
        Call.objects.filter(phone__in=phones)
        .filter(Q(sent_at__gte=cutoff) | Q(status=Call.Status.CLAIMED, claimed_at__gte=cutoff))
        .exclude(pk__in=exclude)
        .annotate(at=Coalesce("sent_at", "claimed_at"))
        .values_list("pk", "phone", "at")
    )
    index = {phone: n for n, phone in enumerate(phones, start=1)}
    longest_ms = int(longest_window().total_seconds() * 1000) + LEEWAY_MS
    args: list = [longest_ms]
    for pk, phone, at in rows:
        args += [index[phone], int(at.timestamp() * 1000), f"db:{pk}"]
    if len(args) > 1:
        redis = _redis()
        redis.register_script(_SEED)(keys=[key(phone) for phone in phones], args=args)
    log.debug("frequency guard: %d recent calls of %d numbers read back from the database", len(args) // 3, len(phones))
    return len(args) // 3
