"""Periodic and queued work of the receipts app (run by RQ workers or `manage.py` callers).

- `reconcile_calls`: calls placed long ago that never got a receipt are asked about with
  QueryCallDetailByCallId, signed with the account of the caller number each call went out
  on, and settled from its answer (outcome only: it has no key presses).
- `relink_orphans`: receipts that named no known call (the receipt outran our write of the
  CallId, or the call was created later) are matched again and applied.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns.models import Call
from campaigns.outcomes import status_for_receipt
from campaigns.transitions import do_settle_by_query
from receipts.ingest import link, lock_calls, parse_duration, parse_time, settle_calls
from receipts.models import Receipt

log = logging.getLogger(__name__)

# Aliyun: ask 3–5 minutes after the call ends; a call rings and talks for a few minutes.
RECONCILE_AFTER = dt.timedelta(minutes=15)
# QueryCallDetailByCallId only knows calls of the last days; older ones are left to staff.
RECONCILE_WITHIN = dt.timedelta(days=2)


class CallDetailLike(Protocol):
    state: str
    duration: int | None
    start_date: Any
    end_date: Any


class VoiceClientLike(Protocol):
    def query_call_detail(self, call_id: str, query_date: dt.datetime) -> CallDetailLike | None: ...


def calls_to_reconcile(now: dt.datetime, limit: int) -> list[Call]:
    """Placed or unknown calls with a CallId, sent long enough ago, with no call record yet."""
    has_record = Receipt.objects.filter(matched_call=OuterRef("pk"), kind=Receipt.Kind.CALL_RECORD)
    return list(
        Call.objects.filter(
            status__in=[Call.Status.PLACED, Call.Status.UNKNOWN],
            call_id__isnull=False,
            sent_at__lt=now - RECONCILE_AFTER,
            sent_at__gte=now - RECONCILE_WITHIN,
        )
        .exclude(call_id="")
        .exclude(Exists(has_record))
        .select_related("campaign", "caller_number")
        .order_by("sent_at")[:limit]
    )


def reconcile_calls(
    client: VoiceClientLike | None = None, now: dt.datetime | None = None, limit: int = 200
) -> dict[str, int]:
    """Settle calls whose receipt never came from QueryCallDetailByCallId. Returns counts.
    Each call is asked about through its own caller number's account (`client` overrides
    that, for tests): Aliyun only answers the account that placed the call."""
    now = now or timezone.now()
    counts = {"asked": 0, "settled": 0, "no_record": 0, "errors": 0}
    for call in calls_to_reconcile(now, limit):
        counts["asked"] += 1
        try:
            detail = (client or _client_of(call)).query_call_detail(call.call_id, call.sent_at)
        except Exception as exc:  # one bad answer must not stop the rest
            counts["errors"] += 1
            log.warning("QueryCallDetailByCallId failed for call %s: %s", call.pk, exc)
            continue
        if detail is None:
            counts["no_record"] += 1
            continue
        answered_at = parse_time(detail.start_date)
        status = status_for_receipt(str(detail.state or ""), answered=answered_at is not None)
        if status is None:
            counts["no_record"] += 1
            continue
        fields = {
            "status_code": str(detail.state)[:16],
            "duration": parse_duration(detail.duration),
            "answered_at": answered_at,
            "ended_at": parse_time(detail.end_date),
        }
        if do_settle_by_query(call, status, fields, now):  # a receipt that arrived meanwhile wins
            counts["settled"] += 1
    return counts


def _client_of(call: Call) -> VoiceClientLike:
    from campaigns.accounts import client_for

    return client_for(call.caller_number.account_id if call.caller_number else None)


def relink_orphans(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Match receipts that named no known call again; returns how many found their call."""
    now = now or timezone.now()
    with transaction.atomic():
        orphans = list(
            Receipt.objects.select_for_update(skip_locked=True)
            .filter(matched_call__isnull=True, matched_test_call__isnull=True, received_at__gte=now - RECONCILE_WITHIN)
            .exclude(kind=Receipt.Kind.MALFORMED)
            .order_by("pk")[:limit]
        )
        calls = lock_calls(orphans)
        if not calls:
            return 0
        touched, filled = link(orphans, calls)
        linked = [r for r in orphans if r.matched_call_id is not None]
        Receipt.objects.bulk_update(linked, ["matched_call", "problem"])
        settle_calls(touched, now, dirty=filled)
    return len(linked)


def run_periodic(client: VoiceClientLike | None = None) -> dict[str, int]:
    """What a scheduler calls every minute or so."""
    counts = reconcile_calls(client)
    counts["relinked"] = relink_orphans()
    return counts
