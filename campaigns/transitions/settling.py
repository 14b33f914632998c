"""A sent call settled by a receipt, a query or an operator, and what that means for its
contact and its campaign (retries, completion, opt-outs, withdrawn calls)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit.actors import Actor
from audit.record import record
from campaigns import call_stats, reasons
from campaigns.bulk import among, bulk_update_where
from campaigns.models import Call, Campaign, with_campaigns
from campaigns.reasons import Reason
from campaigns.transitions.campaigns import do_complete_campaign
from campaigns.transitions.table import CALL_TRANSITIONS, _from, lock_in_id_order

log = logging.getLogger(__name__)
S = Call.Status
State = Campaign.State


# --- Calls, settled by a receipt, a query or an operator ---


def do_requeue_refused(call: Call, due_at: dt.datetime, code: str, note: Reason, now: dt.datetime) -> bool:
    """sending | placed | unknown → queued (cancelled if its campaign was): a receipt says Aliyun
    refused the call for a rule (`campaigns.dialling.refusals`). Not an attempt: OutId, CallId and the
    dial's times are cleared, so the receipts of this dial no longer speak for the call.

    Accepts: a sent call not yet final. Lock: the call row, held by the receipt batch's transaction.
    """
    cancelled = call.campaign.state == State.CANCELLED
    return bool(
        Call.objects.filter(pk=call.pk, status__in=_from("requeue_refused")).update(
            status=S.CANCELLED if cancelled else S.QUEUED,
            due_at=due_at,
            out_id=None,
            call_id=None,
            sent_at=None,
            settled_at=now if cancelled else None,
            claimed_at=None,
            claim_token="",
            duration=None,
            answered_at=None,
            ended_at=None,
            status_code=code,
            error_code=code,
            error_message="",
            note=note,
        )
    )


@transaction.atomic
def do_opt_out_calls(phones: list[str], now: dt.datetime) -> list[int]:
    """queued | claimed → dnc for every call to these numbers, in any campaign: the callee
    pressed the opt-out key. A claimed call is caught before it is sent (`do_send_call` only
    accepts a claimed call). Campaigns left with nothing to do complete.

    Accepts: queued, claimed. Lock: the calls' rows in id order, then completion, in one transaction.
    """
    ids = lock_in_id_order(Call.objects.filter(phone__in=phones, status__in=_from("opt_out")))
    Call.objects.filter(pk__in=ids, status__in=_from("opt_out")).update(
        status=S.DNC, settled_at=now, error_message="", note=reasons.reason("call.opted_out")
    )
    if ids:
        after_calls_settled(ids, now)
    return ids


# Why a queued call is withdrawn, by event: its quota cell is full (campaigns.quotas), or its
# survey question is on a branch the contact's answer did not take (surveys.scheduling).
WITHDRAWN_BECAUSE = {"quota_full": "call.quota_full", "off_branch": "call.branch_not_taken"}


@transaction.atomic
def do_withdraw_calls(campaign: Campaign, call_ids: list[int], event: str, now: dt.datetime) -> int:
    """queued → cancelled, for the reason `event` names (`WITHDRAWN_BECAUSE`). A call a worker
    claimed meanwhile still goes out (a quota is met ± the calls already placed). The campaign
    completes if nothing is left to do. Accepts: queued. Lock: the calls' rows, for the UPDATE."""
    withdrawn = Call.objects.filter(
        campaign_id=campaign.pk, pk__in=among(call_ids, "bigint"), status__in=_from(event)
    ).update(status=S.CANCELLED, settled_at=now, note=reasons.reason(WITHDRAWN_BECAUSE[event]))
    if withdrawn:
        _complete_running({campaign.pk}, now)
    return withdrawn


# What a receipt writes on a call besides its status.
RECEIPT_FIELDS = ["call_id", "status_code", "dtmf", "answer_key", "answer_label", "duration"]
RECEIPT_FIELDS += ["answered_at", "ended_at", "settled_at"]


def do_settle_by_receipts(changes: list[tuple[Call, str | None]], now: dt.datetime) -> list[int]:
    """Write what the receipts say about each call: its outcome (None: not final yet) and the
    fields in `RECEIPT_FIELDS`, already set on the instances. Returns the ids of calls newly final.

    Accepts: any sent state (`SENT`): the receipts are the truth and re-derive the outcome.
    Lock: the calls must be locked by the caller's transaction (`receipts.ingest.lock_calls`)
    since they were read; retries and completion run in that same transaction. One
    statement for the whole batch on PostgreSQL.
    """
    assert connection.in_atomic_block, "lock the calls in a transaction first"
    if not changes:
        return []
    newly_final = []
    for call, status in changes:
        if status is not None:
            assert status in CALL_TRANSITIONS["settle_by_receipt"].targets
            if call.status not in Call.FINAL:
                newly_final.append(call.pk)
            call.status = status
            call.settled_at = call.settled_at or now
    calls = [call for call, _status in changes]
    written = bulk_update_where(Call, calls, ["status", *RECEIPT_FIELDS], "status", _from("settle_by_receipt"))
    newly_final = [pk for pk in newly_final if pk in written]
    if newly_final:
        call_stats.add(call for call in calls if call.pk in newly_final)
        after_calls_settled(newly_final, now, calls)
    overtaken = [c for c in calls if c.pk in written and not c.is_latest and not _retryable_outcome(c)]
    if overtaken:
        _withdraw_retries_after(overtaken, now)
    return newly_final


def _retryable_outcome(call: Call) -> bool:
    return call.status in (call.campaign.retry_outcomes or [])


def _withdraw_retries_after(calls: list[Call], now: dt.datetime) -> None:
    """The next attempts of these calls, whose outcome no longer asks for a retry."""
    following = Q()
    for call in calls:
        following |= Q(campaign_id=call.campaign_id, phone=call.phone, attempt=call.attempt + 1)
    retry_ids = list(Call.objects.filter(following, is_latest=True).values_list("pk", flat=True))
    if do_withdraw_retries(retry_ids, now):
        _complete_running({c.campaign_id for c in calls}, now)


@transaction.atomic
def do_withdraw_retries(call_ids: list[int], now: dt.datetime) -> int:
    """queued retry → cancelled, and the attempt before it is the latest again (its outcome is
    the contact's result). Returns how many were withdrawn.

    Accepts: queued, latest attempts after the first (a retry a worker has claimed goes out).
    Lock: the retries' rows, status and latest flag re-checked by the UPDATE.
    """
    withdrawn = list(
        Call.objects.filter(pk__in=call_ids, status__in=_from("withdraw_retry"), is_latest=True, attempt__gt=1)
        .select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", "campaign_id", "phone", "attempt")
    )
    if not withdrawn:
        return 0
    ids = [pk for pk, *_rest in withdrawn]
    Call.objects.filter(pk__in=ids).update(
        status=S.CANCELLED, is_latest=False, settled_at=now, note=reasons.reason("call.retry_withdrawn")
    )
    previous = Q()
    for _pk, campaign_id, phone, attempt in withdrawn:
        previous |= Q(campaign_id=campaign_id, phone=phone, attempt=attempt - 1)
    Call.objects.filter(previous).update(is_latest=True)
    log.info("retries withdrawn, a receipt settled the attempts before them: %s", ids)
    return len(ids)


@transaction.atomic
def do_settle_by_query(call: Call, status: str, fields: dict, now: dt.datetime) -> bool:
    """placed | unknown → final, from QueryCallDetailByCallId's answer; retries and completion
    follow in the same transaction.

    Accepts: placed, unknown (a receipt that arrived meanwhile has settled the call and wins).
    Lock: the call row, until its retry and its campaign's completion are written.
    """
    assert status in CALL_TRANSITIONS["settle_by_query"].targets
    settled = Call.objects.filter(pk=call.pk, status__in=_from("settle_by_query")).update(
        status=status, settled_at=now, **fields
    )
    if settled:
        call.status = status
        call_stats.add([call])
        after_calls_settled([call.pk], now)
    return bool(settled)


@transaction.atomic
def do_settle_by_operator(call_ids: list[int], placed: bool, actor: Actor, now: dt.datetime | None = None) -> int:
    """An operator's decision on calls whose outcome stayed unknown.

    placed=False: unknown → queued, dialled again (same attempt). placed=True: unknown →
    failed (made without an answer; retried only if the campaign retries failures).
    Accepts: unknown; a call a receipt settled in the meantime is left as the receipt says.
    Lock: the calls' rows (the UPDATE re-checks their status), until retries are scheduled.
    """
    now = now or timezone.now()
    unknown = Call.objects.filter(pk__in=call_ids, status__in=_from("settle_by_operator"))
    # FOR UPDATE waits for a receipt settling one of them and re-checks its status after.
    settled = list(unknown.select_for_update(no_key=True).order_by("pk").values_list("pk", "campaign_id"))
    ids = [pk for pk, _campaign in settled]
    if not placed:
        Call.objects.filter(pk__in=ids).update(
            status=S.QUEUED, out_id=None, sent_at=None, due_at=now, error_message="", note=None
        )
    else:
        Call.objects.filter(pk__in=ids).update(
            status=S.FAILED, settled_at=now, error_message="", note=reasons.reason("call.settled_by_operator")
        )
    target = S.FAILED if placed else S.QUEUED
    for campaign_id in sorted({campaign for _pk, campaign in settled}):
        in_campaign = [pk for pk, campaign in settled if campaign == campaign_id]
        record(
            actor,
            "calls.settled_by_operator",
            object_type="campaigns.call",
            object_id=in_campaign[0] if len(in_campaign) == 1 else "",
            object_repr=", ".join(str(pk) for pk in in_campaign[:20]),
            campaign_id=campaign_id,
            changes={"status": [S.UNKNOWN, target]},
            rows=len(in_campaign),
        )
    if placed:
        call_stats.add(Call.objects.filter(pk__in=ids))  # made, without an answer: a dialled call
        after_calls_settled(ids, now)
    return len(ids)


# --- What a settled call means for its contact and its campaign ---


@transaction.atomic
def after_calls_settled(call_ids: Iterable[int], now: dt.datetime | None = None, loaded: Iterable[Call] = ()) -> None:
    """Schedule retries for retryable outcomes and complete campaigns with nothing left to do.

    Run by every settling transition inside its own transaction; safe to repeat (a replay
    schedules nothing twice). `loaded`: the calls as the caller locked and wrote them, with
    their campaigns, so as not to read them again.
    """
    now = now or timezone.now()
    ids = set(call_ids)
    if loaded:
        calls = [call for call in loaded if call.pk in ids and call.is_latest and call.status in Call.FINAL]
    else:
        calls = with_campaigns(Call.objects.filter(pk__in=among(ids, "bigint"), is_latest=True, status__in=Call.FINAL))
    campaign_ids = {call.campaign_id for call in calls}
    do_retry_calls(calls, now)
    _complete_running(campaign_ids, now)


def _complete_running(campaign_ids: set[int], now: dt.datetime) -> None:
    """Complete those of these campaigns still running that have nothing left to do."""
    for campaign in Campaign.objects.filter(pk__in=campaign_ids, state=State.RUNNING):
        do_complete_campaign(campaign, now)


def should_retry(call: Call) -> bool:
    """Rule 4: retry only retryable outcomes, within max attempts, while the campaign runs."""
    campaign = call.campaign
    if campaign.state not in (State.RUNNING, State.PAUSED):
        return False
    return call.status in (campaign.retry_outcomes or []) and call.attempt < campaign.max_attempts


def _next_attempt(call: Call, now: dt.datetime) -> Call:
    return Call(
        campaign=call.campaign,
        contact_id=call.contact_id,
        phone=call.phone,
        attempt=call.attempt + 1,
        variant=call.variant,
        status=S.QUEUED,
        due_at=now + dt.timedelta(seconds=call.campaign.retry_delay_seconds),
    )


@transaction.atomic
def do_retry_calls(calls: Iterable[Call], now: dt.datetime) -> list[Call]:
    """A settled, retryable latest attempt → a new queued attempt after the retry delay.

    Accepts: latest attempts in a retryable final status (`should_retry`). Lock: those
    calls' rows, then `is_latest` re-checked, so a replayed receipt schedules nothing
    twice. Three queries for a whole receipt batch, whatever its size.
    """
    due = {call.pk: call for call in calls if should_retry(call)}
    if not due:
        return []
    still_latest = list(
        Call.objects.select_for_update(no_key=True)
        .filter(pk__in=among(due, "bigint"), is_latest=True, status__in=Call.FINAL)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not still_latest:
        return []
    Call.objects.filter(pk__in=among(still_latest, "bigint")).update(is_latest=False)
    return Call.objects.bulk_create([_next_attempt(due[pk], now) for pk in still_latest])
