"""Taking Aliyun receipt elements in: parse, store once, link to calls, settle the calls.

Order does not matter: a call's outcome is derived afresh from *all* of its stored
receipts each time one arrives, so a key press before or after the call record, a replay,
or a late receipt for an `unknown` call all end in the same state.

A batch costs a fixed number of queries, not one per element: lock the calls it names,
insert the receipts (ON CONFLICT DO NOTHING on the identity), read those calls' receipts,
and write the calls' outcomes through `campaigns.transitions.do_settle_by_receipts`
(which schedules retries and completes campaigns in the same transaction).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import JSONField, Q, Value
from django.utils import timezone

from campaigns import opt_out, webhook_events
from campaigns.bulk import among
from campaigns.dialling import refusals
from campaigns.experiments import snapshot_for
from campaigns.models import Call, with_campaigns
from campaigns.outcomes import KEY_PRESS_STATUS, answer_for_keys, status_for_receipt
from campaigns.transitions import RECEIPT_FIELDS, do_settle_by_receipts
from receipts import test_calls
from receipts.models import Receipt

log = logging.getLogger(__name__)

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
# Fields only a VoiceReport (call record after hang-up) carries.
CALL_RECORD_FIELDS = ("end_time", "start_time", "duration", "status_msg", "originate_time", "hangup_direction")
MAX_ID = 64
K = Receipt.Kind
JSON_NULL = Value(None, JSONField())  # a plain None would be SQL NULL, which `raw` refuses


class Malformed(ValueError):
    """An element we cannot take as a receipt (stored anyway, as malformed)."""


def parse_time(value: object) -> dt.datetime | None:
    """Aliyun's Beijing-time "YYYY-MM-DD HH:MM:SS" as an aware UTC datetime; None if empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        try:
            value = int(value.strip())
        except ValueError:  # "²" is a digit int() refuses, and so are 4301 of them
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            # Some channels send Unix milliseconds.
            seconds = value / 1000 if value > 10**11 else value
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=BEIJING)
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # unreadable, or out of range in UTC ("0001-01-01 00:00:00")
        return None


def parse_duration(value: object) -> int | None:
    """Seconds from "10", 10, 10.0, "" or None (Aliyun sends strings in some variants, ints in others)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = int(float(str(value).strip()))
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if 0 <= seconds < 2**31 else None


def _text(element: dict, name: str, limit: int) -> str:
    value = element.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Malformed(f"{name} must be a string")
    text = str(value).strip()
    if len(text) > limit:
        raise Malformed(f"{name} longer than {limit} characters")
    return text


def _digest(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_element(element: object) -> Receipt:
    """An unsaved Receipt for one pushed element; a malformed one says why in `problem`."""
    try:
        if not isinstance(element, dict):
            raise Malformed("not a JSON object")
        call_id = _text(element, "call_id", MAX_ID)
        out_id = _text(element, "out_id", MAX_ID)
        status_code = _text(element, "status_code", 16)
        if not call_id and not out_id:
            raise Malformed("neither call_id nor out_id")
        if not status_code:
            raise Malformed("no status_code")
        dtmf = _text(element, "dtmf", MAX_ID)
        status_msg = str(element.get("status_msg") or "")[:200]
    except Malformed as exc:
        raw = JSON_NULL if element is None else element
        return Receipt(kind=K.MALFORMED, raw=raw, problem=str(exc), dedupe_key=f"malformed:{_digest(element)}")

    if status_code == KEY_PRESS_STATUS:
        kind = K.KEY_PRESS
    elif any(name in element for name in CALL_RECORD_FIELDS):
        kind = K.CALL_RECORD
    else:
        kind = K.UNKNOWN
    # Identity: call + status + the element's own time (plus the keys, for key presses).
    when = str(element.get("end_time") or element.get("status_time") or "") if kind == K.CALL_RECORD else ""
    when = when or str(element.get("status_time") or "")
    if when:
        identity = "|".join([call_id or f"out:{out_id}", status_code, when[:40]])
        if kind == K.KEY_PRESS:
            identity += f"|{dtmf}"
    else:
        identity = f"{kind}:{_digest(element)}"
    if len(identity) > 255:
        identity = f"{kind}:{_digest(element)}"
    return Receipt(
        kind=kind,
        raw=element,
        dedupe_key=identity,
        call_id=call_id,
        out_id=out_id,
        status_code=status_code,
        status_msg=status_msg,
        dtmf=dtmf,
        duration=parse_duration(element.get("duration")),
        status_time=parse_time(element.get("status_time")),
        start_time=parse_time(element.get("start_time")),
        end_time=parse_time(element.get("end_time")),
    )


@dataclass
class IngestResult:
    received: int = 0
    malformed: int = 0
    unmatched: int = 0
    settled: int = 0


def ingest(elements: list, now: dt.datetime | None = None) -> IngestResult:
    """Store a pushed batch and settle the calls it speaks of. Raises only on our own failures."""
    now = now or timezone.now()
    receipts = []
    seen: set[str] = set()
    for element in elements:
        receipt = parse_element(element)
        if receipt.dedupe_key not in seen:  # a batch may repeat itself
            seen.add(receipt.dedupe_key)
            receipts.append(receipt)
    result = IngestResult(received=len(elements), malformed=sum(r.kind == K.MALFORMED for r in receipts))
    with transaction.atomic():
        calls = lock_calls(receipts)
        touched, filled = link(receipts, calls)
        tests = test_calls.link(receipts)
        # In identity order: two pushes sharing receipts that lock no call (unknown calls, malformed
        # elements) would otherwise each wait for the other's uncommitted unique-index entries.
        in_order = sorted(receipts, key=lambda receipt: receipt.dedupe_key)
        Receipt.objects.bulk_create(in_order, ignore_conflicts=True, batch_size=500)
        settled = settle_calls(touched, now, dirty=filled)
        test_calls.settle(tests)
    result.unmatched = sum(
        1 for r in receipts if r.kind != K.MALFORMED and r.matched_call_id is None and r.matched_test_call_id is None
    )
    result.settled = len(settled)
    return result


def lock_calls(receipts: Iterable[Receipt]) -> list[Call]:
    """The calls the receipts name (by CallId or OutId), locked against concurrent settling."""
    call_ids = {r.call_id for r in receipts if r.call_id and r.kind != K.MALFORMED}
    out_ids = {r.out_id for r in receipts if r.out_id and r.kind != K.MALFORMED and len(r.out_id) <= 15}
    if not call_ids and not out_ids:
        return []
    query = Q(call_id__in=among(call_ids)) | Q(out_id__in=among(out_ids))
    return with_campaigns(Call.objects.select_for_update(no_key=True).filter(query).order_by("pk"))


def link(receipts: Iterable[Receipt], calls: list[Call]) -> tuple[dict[int, Call], set[int]]:
    """Point each receipt at its call: by OutId when it carries one of ours (unique by
    construction), else by CallId; fill the call's CallId when the receipt outran the
    dispatcher's write. A receipt whose CallId names a different call than its OutId is
    linked by the OutId and flagged in `problem`.

    Returns the calls by id, and the ids of those whose CallId was filled in.
    """
    by_call_id = {c.call_id: c for c in calls if c.call_id}
    by_out_id = {c.out_id: c for c in calls if c.out_id}
    touched: dict[int, Call] = {}
    filled: set[int] = set()
    for receipt in receipts:
        if receipt.kind == K.MALFORMED:
            continue
        call = by_out_id.get(receipt.out_id) if receipt.out_id else None
        if call is None:
            call = by_call_id.get(receipt.call_id) if receipt.call_id else None
        elif receipt.call_id and receipt.call_id != call.call_id:
            other = by_call_id.get(receipt.call_id)
            if call.call_id or (other is not None and other.pk != call.pk):
                receipt.problem = _mismatch(receipt, call, other)
                log.warning("receipt CallId/OutId mismatch: %s", receipt.problem)
            else:
                call.call_id = receipt.call_id  # the receipt outran the dispatcher's write
                by_call_id[call.call_id] = call
                filled.add(call.pk)
        if call is not None:
            receipt.matched_call = call
            touched[call.pk] = call
    return touched, filled


def _mismatch(receipt: Receipt, call: Call, other: Call | None) -> str:
    named = f"it is call {other.pk}'s" if other is not None else f"call {call.pk} has CallId {call.call_id!r}"
    text = f"CallId {receipt.call_id!r} names a different call than OutId {receipt.out_id!r} ({named})"
    return f"{text}; linked by OutId"[:300]


def settle_calls(calls: dict[int, Call], now: dt.datetime, dirty: set[int] | frozenset = frozenset()) -> list[int]:
    """Re-derive each (locked) call from all its stored receipts; returns the ids of calls newly final."""
    if not calls:
        return []
    by_call: dict[int, list[Receipt]] = defaultdict(list)
    stored = Receipt.objects.filter(
        matched_call_id__in=among(calls, "bigint"), kind__in=[K.KEY_PRESS, K.CALL_RECORD]
    ).only(
        "id",
        "kind",
        "matched_call_id",
        "call_id",
        "out_id",
        "status_code",
        "dtmf",
        "duration",
        "status_time",
        "start_time",
        "end_time",
    )
    for receipt in stored:
        by_call[receipt.matched_call_id].append(receipt)
    changes: list[tuple[Call, str | None]] = []
    refused, opted_out = [], []
    for pk, call in calls.items():
        before = {name: getattr(call, name) for name in RECEIPT_FIELDS}
        status = apply_receipts(call, by_call.get(pk, []))
        if call.dtmf != before["dtmf"] and opt_out.pressed_opt_out(call):
            opted_out.append(call)
        refusal = refusals.RECEIPT_REFUSALS.get(call.status_code) if status == Call.Status.FAILED else None
        if refusal is not None and call.status not in Call.FINAL:
            refused.append((call, refusal))  # Aliyun refused it: not an attempt, back to the queue
            continue
        if pk in dirty or status not in (None, call.status) or any(getattr(call, n) != v for n, v in before.items()):
            changes.append((call, status))
    newly_final = do_settle_by_receipts(changes, now)
    webhook_events.calls_settled([calls[pk] for pk in newly_final], now)
    if refused:
        refusals.requeue_refused(refused, now)
    if opted_out:
        opt_out.opt_out(opted_out, now)
    return newly_final


def _order(receipt: Receipt) -> tuple:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (receipt.status_time or receipt.end_time or far, receipt.pk or 0)


def from_current_dial(call: Call, receipt: Receipt) -> bool:
    return bool((call.call_id and receipt.call_id == call.call_id) or (call.out_id and receipt.out_id == call.out_id))


def apply_receipts(call: Call, receipts: list[Receipt]) -> str | None:
    """What the receipts say about the call: keys, answer and times set on it, the outcome
    returned (None: not final yet). Same receipts, same result."""
    # Receipts of an earlier dial of this call (one Aliyun refused, then re-queued) say nothing now.
    receipts = [r for r in receipts if from_current_dial(call, r)]
    presses = sorted((r for r in receipts if r.kind == K.KEY_PRESS and r.dtmf), key=_order)
    records = sorted((r for r in receipts if r.kind == K.CALL_RECORD), key=_order)
    record = records[-1] if records else None
    if not presses and record is None:
        return None
    # The record's dtmf is the whole call's keys when present; otherwise the key presses in time order.
    dtmf = (record.dtmf if record and record.dtmf else "".join(r.dtmf for r in presses))[:64]
    call.dtmf = dtmf
    call.answer_key, call.answer_label = answer_for_keys(snapshot_for(call.variant, call.campaign.menu_snapshot), dtmf)
    call.answer_label = call.answer_label[:200]
    status = None
    if record is not None:
        call.status_code = record.status_code
        call.duration = record.duration
        call.answered_at = record.start_time
        call.ended_at = record.end_time
        status = status_for_receipt(record.status_code, answered=bool(record.start_time or dtmf))
    elif dtmf:
        status = Call.Status.ANSWERED  # somebody pressed a key: the call was answered
        call.answered_at = presses[0].status_time  # by then at the latest; the record will say
    return status
