"""The receipt webhook's fast path: accept a push durably, settle it in bulk a moment later.

`accept` is all the webhook does with a valid push: one INSERT of the JSON array, committed
before Aliyun gets its 200, so a push counts as delivered only once it is on disk.
`settle_pending` (the dispatcher's tick, or `manage.py settle_receipts`) takes waiting pushes
in arrival order, many at a time, hands their elements to `receipts.ingest.ingest` and
deletes them in the same transaction; concurrent settlers skip each other's rows. A push
our code cannot settle is set aside as a `RejectedPush` (server error) instead of blocking
the ones behind it; a database error leaves every push waiting for the next round.
"""

from __future__ import annotations

import json
import logging
import time

from django.db import DatabaseError, transaction

from receipts.ingest import IngestResult, ingest
from receipts.models import PendingPush, RejectedPush

log = logging.getLogger(__name__)

PUSHES_PER_BATCH = 20  # ~2,000 receipts: one set of statements settles them all


def accept(body: str) -> int:
    """Store a validated push (a JSON array, as text); returns its id. Autocommitted."""
    return PendingPush.objects.create(body=body).pk


def waiting() -> int:
    return PendingPush.objects.count()


def settle_pending(max_seconds: float = 5.0, batch: int = PUSHES_PER_BATCH) -> IngestResult:
    """Settle waiting pushes, oldest first, until none is left or `max_seconds` have passed."""
    total = IngestResult()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        result = _settle_batch(batch)
        if result is None:
            break
        for name in ("received", "malformed", "unmatched", "settled"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
    if total.malformed or total.unmatched:
        log.info("receipts settled: %s", total)
    return total


def _settle(pushes: list[PendingPush]) -> IngestResult:
    elements = [element for push in pushes for element in json.loads(push.body)]
    result = ingest(elements)
    PendingPush.objects.filter(pk__in=[push.pk for push in pushes]).delete()
    return result


def _settle_batch(batch: int) -> IngestResult | None:
    ids: list[int] = []
    try:
        with transaction.atomic():
            pushes = list(PendingPush.objects.select_for_update(skip_locked=True).order_by("pk")[:batch])
            if not pushes:
                return None
            ids = [push.pk for push in pushes]
            return _settle(pushes)
    except DatabaseError:
        raise  # the database's trouble, not the pushes': they wait for the next round
    except Exception:
        if not ids:
            raise
        log.exception("settling receipt pushes %s failed; settling them one by one", ids)
    result = IngestResult()
    for pk in ids:
        try:
            with transaction.atomic():
                push = PendingPush.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
                one = _settle([push]) if push else IngestResult()
        except DatabaseError:
            raise
        except Exception as exc:
            _set_aside(pk, exc)
            continue
        for name in ("received", "malformed", "unmatched", "settled"):
            setattr(result, name, getattr(result, name) + getattr(one, name))
    return result


def _set_aside(pk: int, exc: Exception) -> None:
    """A push our code fails on: keep it for staff as a server-error rejected push, let the others through."""
    log.error("receipt push %s could not be settled and was set aside: %r", pk, exc)
    with transaction.atomic():
        push = PendingPush.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if push is None:
            return
        RejectedPush.objects.create(
            reason=RejectedPush.Reason.SERVER_ERROR, detail=repr(exc)[:500], body=push.body, size=len(push.body)
        )
        push.delete()
