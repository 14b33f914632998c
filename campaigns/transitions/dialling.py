"""A call on the dispatcher's path: claimed, sent, placed, deferred, rejected, lost, handed
back; and what dead workers left."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from audit.actors import DISPATCHER
from campaigns import do_not_call as do_not_call_list
from campaigns import reasons
from campaigns.models import Call, Campaign, Contact, DoNotCall
from campaigns.reasons import Reason
from campaigns.transitions.campaigns import do_pause_campaign
from campaigns.transitions.settling import after_calls_settled
from campaigns.transitions.table import CALL_TRANSITIONS, _from, lock_in_id_order

log = logging.getLogger(__name__)
S = Call.Status
State = Campaign.State


# --- Calls, on the dispatcher's path ---


def do_claim_calls(
    assignments: dict[int, list[int]], token: str, now: dt.datetime, local: dict[int, str] | None = None
) -> int:
    """queued → claimed by one worker (`token`), each call with its caller number and (local
    presence) how local that number is to the callee (`local`: call id → Call.Local).
    Accepts: queued. Lock: held by the caller's transaction (`dispatch.claim`: caller
    numbers FOR UPDATE, calls SKIP LOCKED)."""
    groups: dict[tuple[int, str], list[int]] = {}
    for number_id, call_ids in assignments.items():
        for call_id in call_ids:
            groups.setdefault((number_id, (local or {}).get(call_id, "")), []).append(call_id)
    claimed = 0
    for (number_id, how_local), call_ids in groups.items():
        claimed += Call.objects.filter(pk__in=call_ids, status__in=_from("claim")).update(
            status=S.CLAIMED, claimed_at=now, claim_token=token, caller_number_id=number_id, local=how_local
        )
    return claimed


@transaction.atomic
def do_release_calls(call_ids: list[int], token: str, now: dt.datetime | None = None) -> int:
    """claimed → queued (or → cancelled when its campaign was cancelled): a worker hands back
    calls it will not send (campaign paused, window closed, no slot).

    Accepts: claimed by `token`. Lock: the calls' rows, in id order, both UPDATEs in one transaction.
    """
    if not call_ids:
        return 0
    mine = Call.objects.filter(pk__in=call_ids, status__in=_from("release"), claim_token=token)
    lock_in_id_order(mine)
    cancelled = mine.filter(campaign__state=State.CANCELLED).update(
        status=S.CANCELLED, settled_at=now or timezone.now()
    )
    requeued = mine.update(status=S.QUEUED, claimed_at=None)
    return cancelled + requeued


def do_send_call(call: Call, out_id: str, now: dt.datetime) -> bool:
    """claimed → sending: OutId persisted before the request (rule 1), only while the campaign runs.
    Accepts: claimed by this worker's token (not a claim handed to another worker), campaign
    running. Lock: the call row, for the UPDATE only."""
    running = Campaign.objects.filter(pk=call.campaign_id, state=State.RUNNING)
    mine = Call.objects.filter(pk=call.pk, status__in=_from("send"), claim_token=call.claim_token)
    return bool(mine.filter(campaign__in=running).update(status=S.SENDING, out_id=out_id, sent_at=now))


def do_place_call(call: Call, call_id: str | None) -> bool:
    """sending → placed: Aliyun accepted the call; its receipt will settle it.
    Accepts: sending (a receipt that outran this write settled the call and wins). Lock: the row."""
    return bool(
        Call.objects.filter(pk=call.pk, status__in=_from("place")).update(
            status=S.PLACED, call_id=call_id, error_code="", error_message="", note=None
        )
    )


@transaction.atomic
def do_place_calls(placed: list[tuple[Call, str | None]]) -> int:
    """`do_place_call` for several calls in one UPDATE (the dialler records its placed calls a
    batch at a time). Accepts: sending; a call a receipt settled meanwhile is left alone.
    Lock: the calls' rows, taken in id order first."""
    if not placed:
        return 0
    # By id alone, the status checked once locked: a status condition in the statement invites the
    # planner to combine the status index, whose entries for `sending` grow with every call made.
    locked = Call.objects.filter(pk__in=[call.pk for call, _id in placed]).select_for_update(no_key=True).order_by("pk")
    sending = [pk for pk, status in locked.values_list("pk", "status") if status in _from("place")]
    if not sending:
        return 0
    call_ids = Case(*(When(pk=call.pk, then=Value(call_id)) for call, call_id in placed))
    return Call.objects.filter(pk__in=sending).update(
        status=S.PLACED, call_id=call_ids, error_code="", error_message="", note=None
    )


def do_defer_call(
    call: Call, due_at: dt.datetime | None = None, code: str = "", note: Reason | None = None, detail: str = ""
) -> bool:
    """sending → queued: nothing was dialled (throttled, caller busy, frequency limited, or no
    pacing slot), so it is not an attempt; due again at `due_at` (unchanged when None).

    Accepts: sending. Lock: the call row, for the UPDATE only.
    """
    fields = {"due_at": due_at} if due_at else {}
    return bool(
        Call.objects.filter(pk=call.pk, status__in=_from("defer")).update(
            status=S.QUEUED, out_id=None, sent_at=None, error_code=code, error_message=detail, note=note, **fields
        )
    )


@transaction.atomic
def do_defer_call_and_pause(call: Call, code: str, note: Reason, detail: str, reason: Reason) -> bool:
    """sending → queued, and its campaign running → paused: Aliyun refused the request for a
    reason no retry fixes (configuration, account, endpoint). Returns whether it paused.

    Accepts: call sending; campaign running (already paused: only the call is deferred).
    Lock: the call row, then the campaign row, in one transaction.
    """
    do_defer_call(call, code=code, note=note, detail=detail)
    return do_pause_campaign(call.campaign, DISPATCHER, reason=reason)


@transaction.atomic
def do_reject_call(
    call: Call, status: str, code: str, note: Reason | None = None, detail: str = "", do_not_call: Reason | None = None
) -> bool:
    """sending → invalid | failed: Aliyun refused the number. With `do_not_call` (a reason),
    the number goes on the do-not-call list and every contact with it is marked.

    Accepts: sending. Lock: the call row, until the do-not-call entry, the retry and the
    campaign's completion are written (nothing happens if the call had left `sending`).
    """
    assert status in CALL_TRANSITIONS["reject"].targets
    now = timezone.now()
    rejected = Call.objects.filter(pk=call.pk, status__in=_from("reject")).update(
        status=status, settled_at=now, error_code=code, error_message=detail, note=note
    )
    if not rejected:
        return False
    if do_not_call:
        do_not_call_list.put_on_list(
            [DoNotCall(phone=call.phone, reason=do_not_call, source=DoNotCall.Source.COMPLAINT)], now
        )
        Contact.objects.filter(phone=call.phone).update(do_not_call=True)
    after_calls_settled([call.pk], now)
    return True


def do_defer_claimed_calls(due: dict[int, dt.datetime], token: str, code: str, note: Reason) -> int:
    """claimed → queued, due later: the callee protections (their own hours, the frequency
    guard) say not now. Not an attempt: nothing was dialled. One UPDATE per distinct due time.

    Accepts: claimed by `token`. Lock: the calls' rows, for each UPDATE only.
    """
    by_time: dict[dt.datetime, list[int]] = {}
    for pk, when in due.items():
        by_time.setdefault(when, []).append(pk)
    deferred = 0
    for when, ids in by_time.items():
        deferred += Call.objects.filter(pk__in=ids, status__in=_from("defer_claim"), claim_token=token).update(
            status=S.QUEUED, claimed_at=None, claim_token="", due_at=when, error_code=code, error_message="", note=note
        )
    return deferred


def do_settle_outside_hours(groups: list[tuple[list[int], Reason]], token: str, now: dt.datetime) -> int:
    """claimed → cancelled, each group of calls with its note: the contact's own hours never meet
    the campaign's window (`campaigns.window`). Not an attempt: nothing was dialled.

    Accepts: claimed by `token`. Lock: the calls' rows, for each UPDATE only.
    """
    settled = 0
    for ids, note in groups:
        settled += Call.objects.filter(pk__in=ids, status__in=_from("outside_hours"), claim_token=token).update(
            status=S.CANCELLED, claimed_at=None, claim_token="", settled_at=now, error_code="ContactHours", note=note
        )
    return settled


def do_lose_call(call: Call, code: str, note: Reason | None = None, detail: str = "") -> bool:
    """sending → unknown: the request may have been placed (timeout, reset, 5xx); never
    re-dialled blindly (rule 2). Accepts: sending. Lock: the call row, for the UPDATE only."""
    return bool(
        Call.objects.filter(pk=call.pk, status__in=_from("lose")).update(
            status=S.UNKNOWN, error_code=code, error_message=detail, note=note
        )
    )


@transaction.atomic
def do_recover_stale(now: dt.datetime, claimed_before: dt.datetime, sent_before: dt.datetime) -> dict[str, int]:
    """What dead workers left: claims older than `claimed_before` → queued (never sent);
    sends older than `sent_before` → unknown (may have been placed).

    Accepts: claimed, sending. Lock: the rows it updates, both UPDATEs in one transaction.
    """
    requeued = Call.objects.filter(status__in=_from("recover_claim"), claimed_at__lt=claimed_before).update(
        status=S.QUEUED, claimed_at=None
    )
    unknown = Call.objects.filter(status__in=_from("recover_sending"), sent_at__lt=sent_before).update(
        status=S.UNKNOWN, error_code="WorkerLost", error_message="", note=reasons.reason("call.worker_lost")
    )
    return {"requeued": requeued, "unknown": unknown}


def do_expire_calls(campaign: Campaign, now: dt.datetime) -> int:
    """queued → cancelled for a campaign past its end date: those calls will never be made.
    Accepts: queued. Lock: the calls' rows, for the UPDATE only."""
    return Call.objects.filter(campaign_id=campaign.pk, status__in=_from("cancel")).update(
        status=S.CANCELLED, settled_at=now, note=reasons.reason("call.window_ended")
    )


# --- A dead worker's claims, handed back as soon as its heartbeat lapses (issue 21) ----------


@transaction.atomic
def do_recover_dead_claims(tokens: list[str], now: dt.datetime) -> dict[str, int]:
    """What a dead worker left (`campaigns.dialling.claimers`), by its claim tokens: its claims
    → queued (never sent, safe to dial); its sends → unknown (may have been placed).

    Accepts: claimed, sending, under one of `tokens`. Lock: the rows it updates.
    """
    if not tokens:
        return {"requeued": 0, "unknown": 0}
    theirs = Call.objects.filter(claim_token__in=tokens)
    requeued = theirs.filter(status__in=_from("recover_claim")).update(status=S.QUEUED, claimed_at=None)
    unknown = theirs.filter(status__in=_from("recover_sending")).update(
        status=S.UNKNOWN, error_code="WorkerLost", error_message="", note=reasons.reason("call.worker_lost")
    )
    return {"requeued": requeued, "unknown": unknown}
