"""Calls sent per minute, per campaign, kept in Redis for the dashboard's calls/s chart.

Dial jobs add what they sent once per claimed batch (one INCRBY per ~20 calls, not one per
call); reading an hour is one MGET. Counters expire after a day: this is a live view, not a
record (the calls themselves are the record).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from campaigns.dialling import pacing

KEEP_SECONDS = 24 * 3600


def _key(campaign_id: int, minute: int) -> str:
    return f"ivrsite:rate:{campaign_id}:{minute}"


def record_sent(campaign_id: int, count: int, now: dt.datetime) -> None:
    if count <= 0:
        return
    key = _key(campaign_id, int(now.timestamp()) // 60)
    pipe = pacing.redis_connection(settings.REDIS_URL).pipeline(transaction=False)
    pipe.incrby(key, count)
    pipe.expire(key, KEEP_SECONDS)
    pipe.execute()


def per_minute(campaign_id: int, now: dt.datetime, minutes: int = 60) -> list[tuple[dt.datetime, int]]:
    """(minute start in UTC, requests sent in it) for the last `minutes` minutes, oldest first."""
    last = int(now.timestamp()) // 60
    first = last - minutes + 1
    values = pacing.redis_connection(settings.REDIS_URL).mget([_key(campaign_id, m) for m in range(first, last + 1)])
    return [
        (dt.datetime.fromtimestamp(m * 60, tz=dt.UTC), int(v or 0))
        for m, v in zip(range(first, last + 1), values, strict=True)
    ]


def last_minute_rate(campaign_id: int, now: dt.datetime) -> float:
    """Requests/s over the last 60 s: this minute so far, plus the part of the previous minute
    still inside the window (assumed evenly spread). Reads Redis only, never the calls table."""
    (_previous_start, previous), (current_start, current) = per_minute(campaign_id, now, minutes=2)
    inside = 1 - (now - current_start).total_seconds() / 60
    return round((previous * inside + current) / 60, 2)
