"""Adding settled calls to the stored cube (`CallStats`): one statement per batch of calls.

Run where calls first become final (receipts, a query or an operator settling an unknown call), inside that
transaction, so the cube counts each dialled call once, by the outcome it first settled with
(a later receipt that changes a final outcome is rare and is not re-counted).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import connection

from campaigns import regions
from campaigns.models import Call, CallStats

S = Call.Status
# Outcomes of a call that went out (an attempt that reached the network).
DIALLED_OUTCOMES = frozenset({S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED})
# The callee turned the call down: Chinese networks report a rejected call as busy.
REFUSED_OUTCOMES = frozenset({S.BUSY})

_COLUMNS = ("hour", "campaign_id", "caller_number_id", "province", "carrier", "local", "calls", "answered", "refused")


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def cells(calls: Iterable[Call]) -> Counter:
    """(hour, campaign, caller number, province, carrier, local, measure) → count."""
    counts: Counter = Counter()
    for call in calls:
        if call.status not in DIALLED_OUTCOMES or call.caller_number_id is None or call.sent_at is None:
            continue
        region = regions.region_of(call.phone)
        key = (hour_of(call.sent_at), call.campaign_id, call.caller_number_id, region.province, region.carrier)
        key += (call.local,)
        counts[(*key, "calls")] += 1
        counts[(*key, "answered")] += call.status == S.ANSWERED
        counts[(*key, "refused")] += call.status in REFUSED_OUTCOMES
    return counts


def add(calls: Iterable[Call]) -> int:
    """Count these newly settled calls into the cube (one upsert). Returns the cells touched."""
    counts = cells(calls)
    rows: dict[tuple, list[int]] = {}
    for (*key, measure), n in counts.items():
        rows.setdefault(tuple(key), [0, 0, 0])[("calls", "answered", "refused").index(measure)] += n
    if not rows:
        return 0
    table = connection.ops.quote_name(CallStats._meta.db_table)
    values = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * len(rows))
    params: list = []
    for key, measures in rows.items():
        params += [*key, *measures]
    # The table's name is ours and every value a parameter.
    insert = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES {values} "  # noqa: S608
    sql = insert + (
        "ON CONFLICT (hour, campaign_id, caller_number_id, province, carrier, local) DO UPDATE SET "
        f"calls = {table}.calls + excluded.calls, answered = {table}.answered + excluded.answered, "
        f"refused = {table}.refused + excluded.refused"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(rows)
