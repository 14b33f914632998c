"""Every change of a call's status and of a campaign's state, and nothing else.

This is the one place to read the state machine (README "How it works" has the diagram).
Each `do_*` function is one event: an UPDATE conditional on the state(s) it accepts, so the
row count says whether it happened, with its side effects (retries, completion,
do-not-call, pausing) in the same transaction. `CALL_TRANSITIONS` and
`CAMPAIGN_TRANSITIONS` are the tables the functions filter on; a test drives every
event from every state through them.

Callers decide *what* happened (dispatch: what the API said; receipts: what the receipts
say; actions: what the operator chose); this module decides whether it may happen now.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from audit.actors import DISPATCHER, Actor
from audit.record import record
from campaigns import call_stats, reasons, webhook_events
from campaigns.bulk import among, bulk_update_where
from campaigns.models import Call, Campaign, Contact, DoNotCall, with_campaigns
from campaigns.reasons import Reason

log = logging.getLogger(__name__)
S = Call.Status
State = Campaign.State


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    targets: frozenset[str]


def _t(sources: Iterable[str], *targets: str) -> Transition:
    return Transition(frozenset(sources), frozenset(targets))


# States a receipt may speak about: anything that was sent (the receipt re-derives the
# outcome, so it also corrects an operator's or a query's guess). Never-sent calls have
# no OutId or CallId a receipt could name.
SENT = (S.SENDING, S.PLACED, S.UNKNOWN, S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID)
RECEIPT_OUTCOMES = (S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID)

CALL_TRANSITIONS: dict[str, Transition] = {
    "claim": _t([S.QUEUED], S.CLAIMED),
    "release": _t([S.CLAIMED], S.QUEUED, S.CANCELLED),
    "send": _t([S.CLAIMED], S.SENDING),
    "place": _t([S.SENDING], S.PLACED),
    "defer": _t([S.SENDING], S.QUEUED),  # throttled, caller busy, frequency limited, no slot
    "reject": _t([S.SENDING], S.INVALID, S.FAILED),  # invalid or blocked number
    "lose": _t([S.SENDING], S.UNKNOWN),  # the outcome of the request is unknown
    "settle_by_receipt": _t(SENT, *RECEIPT_OUTCOMES),
    "settle_by_query": _t([S.PLACED, S.UNKNOWN], *RECEIPT_OUTCOMES),
    "settle_by_operator": _t([S.UNKNOWN], S.FAILED),
    "redial_by_operator": _t([S.UNKNOWN], S.QUEUED),
    "cancel": _t([S.QUEUED], S.CANCELLED),  # campaign cancelled, or its end date passed
    # A late receipt says the attempt it followed should not have been retried (say, answered
    # after an operator had settled it as failed): the retry, if not taken yet, is withdrawn.
    "withdraw_retry": _t([S.QUEUED], S.CANCELLED),
    "recover_claim": _t([S.CLAIMED], S.QUEUED),  # a dead worker's unsent claim
    "recover_sending": _t([S.SENDING], S.UNKNOWN),  # a dead worker's send
    # The callee's hours or the frequency guard say not now: not an attempt.
    "defer_claim": _t([S.CLAIMED], S.QUEUED),
    # The callee's own hours never meet the campaign's window: the call can never be made.
    "outside_hours": _t([S.CLAIMED], S.CANCELLED),
    # A receipt says Aliyun refused the call (200117/200118/200119/200121/473): not an attempt.
    "requeue_refused": _t([S.SENDING, S.PLACED, S.UNKNOWN], S.QUEUED, S.CANCELLED),
    # The callee pressed the opt-out key (in this campaign or another): never dialled.
    "opt_out": _t([S.QUEUED, S.CLAIMED], S.DNC),
    # The call's quota cell has its completes (campaigns.quotas): not dialled, "quota full".
    "quota_full": _t([S.QUEUED], S.CANCELLED),
    # A survey question the contact's answer did not lead to (surveys.scheduling): not dialled.
    "off_branch": _t([S.QUEUED], S.CANCELLED),
}
CAMPAIGN_TRANSITIONS: dict[str, Transition] = {
    "start": _t([State.DRAFT], State.STARTING),
    "enrolled": _t([State.STARTING], State.RUNNING),  # the enrolment job wrote every call
    "pause": _t([State.RUNNING], State.PAUSED),
    "resume": _t([State.PAUSED], State.RUNNING),
    "cancel": _t([State.DRAFT, State.STARTING, State.RUNNING, State.PAUSED], State.CANCELLED),
    "complete": _t([State.RUNNING], State.COMPLETED),
}


def _from(event: str, table: dict[str, Transition] = CALL_TRANSITIONS) -> list[str]:
    return sorted(table[event].sources)


# --- Campaigns ---

# Enrols the distinct numbers of the campaign's lists among contacts low <= id < high
# (`campaigns.enrolment` walks the ids upwards, a chunk per transaction): the lowest contact id
# wins when a number is in several lists (the first chunk to see a number holds its lowest
# id); a number marked do-not-call in any list or on the do-not-call list is enrolled as
# `dnc` and never dialled (a later chunk's do-not-call contact turns a queued call to dnc).
# A marketing campaign enrols only contacts with recorded consent (`campaigns.consent`).
# A chunk done twice changes nothing: one attempt per number and campaign is unique.
_ENROL_SQL = """
INSERT INTO campaigns_call (
    campaign_id, contact_id, phone, attempt, is_latest, status, due_at, created_at,
    error_code, error_message, status_code, dtmf, answer_key, answer_label, claim_token
)
SELECT %s, MIN(c.id), c.phone, 1, TRUE,
       CASE WHEN MAX(CASE WHEN c.do_not_call THEN 1 ELSE 0 END) = 1
                 OR EXISTS (SELECT 1 FROM campaigns_donotcall d WHERE d.phone = c.phone)
            THEN 'dnc' ELSE 'queued' END,
       %s, %s, '', '', '', '', '', '', ''
FROM campaigns_contact c
WHERE c.contact_list_id IN (SELECT contactlist_id FROM campaigns_campaign_contact_lists WHERE campaign_id = %s)
  AND c.id >= %s AND c.id < %s
  AND (%s OR COALESCE(c.variables->>'consent_source', '') <> '' OR COALESCE(c.variables->>'consent_time', '') <> '')
GROUP BY c.phone
ON CONFLICT (campaign_id, phone, attempt) DO UPDATE SET status = 'dnc'
WHERE excluded.status = 'dnc' AND campaigns_call.status = 'queued'
"""


def _record_state(actor: Actor, code: str, campaign: Campaign, before: str | None, after: str, **details) -> None:
    record(actor, code, campaign, changes={"state": [before, after]}, **details)
    webhook_events.campaign_state_changed(campaign, before, after)


@transaction.atomic
def do_start_campaign(campaign: Campaign, actor: Actor, now: dt.datetime | None = None) -> bool:
    """draft → starting: freeze the menu; `campaigns.enrolment` then enrols the contacts.

    Accepts: draft. Lock: the campaign row, until the audit event is written.
    """
    now = now or timezone.now()
    snapshot = campaign.menu.snapshot()
    started = Campaign.objects.filter(pk=campaign.pk, state__in=_from("start", CAMPAIGN_TRANSITIONS)).update(
        state=State.STARTING, menu_snapshot=snapshot, started_at=now, state_reason={}
    )
    if started:
        _record_state(actor, "campaign.started", campaign, State.DRAFT, State.STARTING)
        log.info("campaign %s starting", campaign.pk)
    return bool(started)


@transaction.atomic
def do_enrol_contacts(campaign: Campaign, low: int, high: int, now: dt.datetime | None = None) -> int | None:
    """Calls (queued, or dnc) for the contacts low <= id < high of a starting campaign.

    Accepts: starting. Lock: the campaign row until the chunk's calls exist, so a cancel
    waits for the chunk and the next chunk sees the cancel. Returns the rows written, None
    when the campaign is not starting any more.
    """
    now = now or timezone.now()
    if not list(Campaign.objects.select_for_update().filter(pk=campaign.pk, state=State.STARTING).values("pk")):
        return None
    with connection.cursor() as cursor:
        anyone = campaign.purpose != Campaign.Purpose.MARKETING
        cursor.execute(_ENROL_SQL, [campaign.pk, now, now, campaign.pk, low, high, anyone])
        return cursor.rowcount


@transaction.atomic
def do_finish_enrolment(campaign: Campaign, enrolled: int) -> bool:
    """starting → running, every contact enrolled. Accepts: starting. Lock: the campaign row."""
    running = Campaign.objects.filter(pk=campaign.pk, state__in=_from("enrolled", CAMPAIGN_TRANSITIONS)).update(
        state=State.RUNNING, contacts_enrolled=enrolled
    )
    if running:
        webhook_events.campaign_state_changed(campaign, State.STARTING, State.RUNNING)
        log.info("campaign %s started: %s calls enrolled", campaign.pk, enrolled)
    return bool(running)


@transaction.atomic
def do_pause_campaign(campaign: Campaign, actor: Actor, reason: Reason | str = "") -> bool:
    """running → paused; workers hand back the calls they claimed, unsent (`do_send_call`).
    Accepts: running. Lock: the campaign row, until the audit event is written."""
    stored = reasons.typed(reason) if isinstance(reason, str) else reason
    paused = Campaign.objects.filter(pk=campaign.pk, state__in=_from("pause", CAMPAIGN_TRANSITIONS)).update(
        state=State.PAUSED, state_reason=stored
    )
    if paused:
        _record_state(actor, "campaign.paused", campaign, State.RUNNING, State.PAUSED, reason=stored)
        log.info("campaign %s paused: %s", campaign.pk, stored)
    return bool(paused)


@transaction.atomic
def do_resume_campaign(campaign: Campaign, actor: Actor) -> bool:
    """paused → running. Accepts: paused. Lock: the campaign row, until the audit event is written."""
    resumed = Campaign.objects.filter(pk=campaign.pk, state__in=_from("resume", CAMPAIGN_TRANSITIONS)).update(
        state=State.RUNNING, state_reason={}
    )
    if resumed:
        _record_state(actor, "campaign.resumed", campaign, State.PAUSED, State.RUNNING)
        log.info("campaign %s resumed", campaign.pk)
    return bool(resumed)


@transaction.atomic
def do_cancel_campaign(campaign: Campaign, actor: Actor, now: dt.datetime | None = None) -> int | None:
    """draft | starting | running | paused → cancelled, and every queued call → cancelled.

    Accepts: draft, starting, running, paused. Lock: the campaign row until its queued calls are
    cancelled. Claimed calls are cancelled by the worker that holds them (`do_release_calls`).
    Returns how many calls were cancelled, None when the campaign was already over.
    """
    now = now or timezone.now()
    before = Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("state", flat=True).first()
    cancelled = Campaign.objects.filter(pk=campaign.pk, state__in=_from("cancel", CAMPAIGN_TRANSITIONS)).update(
        state=State.CANCELLED, finished_at=now
    )
    if not cancelled:
        return None
    calls = Call.objects.filter(campaign_id=campaign.pk, status__in=_from("cancel")).update(
        status=S.CANCELLED, settled_at=now
    )
    _record_state(actor, "campaign.cancelled", campaign, before, State.CANCELLED, rows=calls)
    log.info("campaign %s cancelled, %s calls not made", campaign.pk, calls)
    return calls


@transaction.atomic
def do_complete_campaign(campaign: Campaign, now: dt.datetime | None = None, actor: Actor = DISPATCHER) -> bool:
    """running → completed, once no latest call of it is pending or of unknown outcome.

    Accepts: running. Lock: the campaign row; the check is part of the UPDATE, so a call
    enrolled or retried concurrently keeps the campaign running.
    """
    open_calls = Call.objects.filter(campaign_id=campaign.pk, is_latest=True, status__in=[*Call.PENDING, S.UNKNOWN])
    completed = (
        Campaign.objects.filter(pk=campaign.pk, state__in=_from("complete", CAMPAIGN_TRANSITIONS))
        .exclude(pk__in=open_calls.values("campaign_id"))
        .update(state=State.COMPLETED, finished_at=now or timezone.now())
    )
    if completed:
        _record_state(actor, "campaign.completed", campaign, State.RUNNING, State.COMPLETED)
        log.info("campaign %s completed", campaign.pk)
    return bool(completed)


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
    _lock_in_id_order(mine)
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


def _lock_in_id_order(calls) -> list[int]:
    """Lock these calls in id order, the order settling locks them in (`receipts.ingest.lock_calls`):
    an UPDATE naming several rows locks them in the order its plan meets them (the heap's, in a
    bitmap scan), so two writers of overlapping calls could each hold a row the other waits for."""
    return list(calls.select_for_update().order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def do_place_calls(placed: list[tuple[Call, str | None]]) -> int:
    """`do_place_call` for several calls in one UPDATE (the dialler records its placed calls a
    batch at a time). Accepts: sending; a call a receipt settled meanwhile is left alone.
    Lock: the calls' rows, taken in id order first."""
    if not placed:
        return 0
    # By id alone, the status checked once locked: a status condition in the statement invites the
    # planner to combine the status index, whose entries for `sending` grow with every call made.
    locked = Call.objects.filter(pk__in=[call.pk for call, _id in placed]).select_for_update().order_by("pk")
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
        DoNotCall.objects.get_or_create(phone=call.phone, defaults={"reason": do_not_call})
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
    ids = _lock_in_id_order(Call.objects.filter(phone__in=phones, status__in=_from("opt_out")))
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
        .select_for_update()
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
    settled = list(unknown.select_for_update().order_by("pk").values_list("pk", "campaign_id"))
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
        Call.objects.select_for_update()
        .filter(pk__in=among(due, "bigint"), is_latest=True, status__in=Call.FINAL)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not still_latest:
        return []
    Call.objects.filter(pk__in=among(still_latest, "bigint")).update(is_latest=False)
    return Call.objects.bulk_create([_next_attempt(due[pk], now) for pk in still_latest])


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
