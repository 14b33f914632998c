"""Aliyun's refusals: answers and receipt codes that mean the call was not made because of
a rule (the caller number's concurrency, the callee's frequency limit, the carrier's
window, an invalid display number). None of them is an attempt: the call goes back to the
queue, due when the rule allows, and what the rule says about our side is acted on.

The table is the one place that says which code means what (shared/aliyun-ivrcall.md):

| code | meaning | due again | and |
|---|---|---|---|
| 200121, API concurrency codes | caller number over its concurrency | in 5 s | number lowered a while |
| 200119, 473, isv.BUSINESS_LIMIT_CONTROL | callee frequency limit | when the frequency guard allows | |
| 200118 | carrier time-window block | the campaign's next calling day | |
| 200117 | invalid display number | at once, on another number | number deactivated, staff told |

`isv.BUSINESS_LIMIT_CONTROL` is Aliyun's per-called-number frequency control (1/min, 5/h,
20/day by default), so it is deferred per the guard rather than slowing the caller number.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging

from django.db import transaction
from django.utils import timezone

from audit.actors import DISPATCHER, RECEIPTS, Actor
from audit.record import record
from campaigns import reasons, transitions
from campaigns.dialling import aliyun, guard
from campaigns.models import Call, CallerNumber, Campaign

log = logging.getLogger(__name__)
S = Call.Status


class Refusal(enum.StrEnum):
    OVER_CONCURRENCY = "over_concurrency"
    CALLEE_FREQUENCY = "callee_frequency"
    CARRIER_WINDOW = "carrier_window"
    BAD_DISPLAY_NUMBER = "bad_display_number"


# VoiceReport status codes (after the API accepted the request).
RECEIPT_REFUSALS = {
    "200121": Refusal.OVER_CONCURRENCY,
    "200119": Refusal.CALLEE_FREQUENCY,
    "473": Refusal.CALLEE_FREQUENCY,
    "200118": Refusal.CARRIER_WINDOW,
    "200117": Refusal.BAD_DISPLAY_NUMBER,
}
# IvrCall answers, by the outcome `campaigns.dialling.aliyun` classifies them as.
OUTCOME_REFUSALS = {
    aliyun.Outcome.CALLER_BUSY: Refusal.OVER_CONCURRENCY,
    aliyun.Outcome.FREQUENCY_LIMITED: Refusal.CALLEE_FREQUENCY,
}

OVER_CONCURRENCY_BACKOFF = dt.timedelta(seconds=5)
FREQUENCY_BACKOFF = dt.timedelta(minutes=1)
# After a concurrency refusal the number carries one call fewer at once, for this long
# (each further refusal lowers it again and restarts the clock).
LOWERED_FOR = dt.timedelta(minutes=10)


def refusal_for(code: str) -> Refusal | None:
    """What an IvrCall `Code` or a receipt status code refuses, if anything."""
    code = str(code or "").strip()
    if code in RECEIPT_REFUSALS:
        return RECEIPT_REFUSALS[code]
    if not code or code.isdigit():
        return None
    return OUTCOME_REFUSALS.get(aliyun.outcome_for_code(code))


def due_again(refusal: Refusal, call: Call, now: dt.datetime) -> dt.datetime:
    if refusal == Refusal.OVER_CONCURRENCY:
        return now + OVER_CONCURRENCY_BACKOFF
    if refusal == Refusal.CALLEE_FREQUENCY:
        # Aliyun counts the refused call too: the guard already holds it.
        return max(now + FREQUENCY_BACKOFF, guard.next_allowed(call, now))
    if refusal == Refusal.CARRIER_WINDOW:
        return next_calling_day_start(call.campaign, now)
    return now


def next_calling_day_start(campaign: Campaign, now: dt.datetime) -> dt.datetime:
    """The campaign's first window start on a later local date than today's."""
    tomorrow = (now.astimezone(campaign.zone) + dt.timedelta(days=1)).date()
    midnight = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=campaign.zone).astimezone(dt.UTC)
    start = campaign.next_window_start(midnight)
    return start or midnight


def message(refusal: Refusal, code: str) -> reasons.Reason:
    return reasons.reason(f"refusal.{refusal}", code=code)


def act_on_caller_number(
    refusal: Refusal, caller_number_id: int | None, code: str, now: dt.datetime, actor: Actor = DISPATCHER
) -> None:
    """What a refusal says about the caller number that carried the call (heard from the API's
    answer by the dispatcher, or from a receipt)."""
    if caller_number_id is None:
        return
    if refusal == Refusal.OVER_CONCURRENCY:
        lower_concurrency(caller_number_id, code, now, actor)
    elif refusal == Refusal.BAD_DISPLAY_NUMBER:
        deactivate_caller_number(caller_number_id, code, actor)


def lower_concurrency(caller_number_id: int, code: str, now: dt.datetime, actor: Actor = DISPATCHER) -> int:
    """One call fewer at once (at least one) for LOWERED_FOR; returns the new figure."""
    with transaction.atomic():
        number = CallerNumber.objects.select_for_update(no_key=True).get(pk=caller_number_id)
        before = number.concurrency(now)
        lowered = max(1, before - 1)
        CallerNumber.objects.filter(pk=number.pk).update(lowered_concurrency=lowered, lowered_until=now + LOWERED_FOR)
        record(
            actor,
            "caller_number.concurrency_lowered",
            number,
            changes={"concurrency": [before, lowered]},
            reason=message(Refusal.OVER_CONCURRENCY, code),
        )
    log.warning("caller number %s over concurrency (%s): lowered to %d for a while", number.pk, code, lowered)
    return lowered


def deactivate_caller_number(caller_number_id: int, code: str, actor: Actor = DISPATCHER) -> None:
    """Stop using the number; campaigns left without an active number pause, saying why."""
    reason = reasons.reason("caller_number.invalid", code=code)
    with transaction.atomic():
        updated = CallerNumber.objects.filter(pk=caller_number_id, active=True).update(
            active=False, inactive_reason=reason
        )
        if not updated:
            return
        number = CallerNumber.objects.get(pk=caller_number_id)
        record(actor, "caller_number.deactivated", number, changes={"active": [True, False]}, reason=reason)
        log.warning("caller number %s deactivated: %s", number.pk, code)
        stranded = Campaign.objects.filter(caller_numbers=number, state=Campaign.State.RUNNING).exclude(
            caller_numbers__active=True
        )
        pause = reasons.reason("paused.caller_number_invalid", number=number.number, code=code)
        for campaign in stranded:
            transitions.do_pause_campaign(campaign, actor, reason=pause)


def requeue_refused(calls: list[tuple[Call, Refusal]], now: dt.datetime | None = None) -> int:
    """Calls whose receipt says Aliyun refused them: back to the queue, not an attempt."""
    now = now or timezone.now()
    requeued = 0
    for call, refusal in calls:
        code = call.status_code
        due = due_again(refusal, call, now)
        requeued += transitions.do_requeue_refused(call, due, code, message(refusal, code), now)
        act_on_caller_number(refusal, call.caller_number_id, code, now, RECEIPTS)
        if refusal in (Refusal.OVER_CONCURRENCY, Refusal.BAD_DISPLAY_NUMBER):
            guard.forget([call])  # refused on our side: the callee's phone never rang
        else:
            guard.keep(call)  # Aliyun counted it against the callee
    return requeued
