"""Which states each event accepts and leads to: the tables every `do_*` filters on, and
that admin buttons, actions and the CLI read (a test drives every event from every state)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from campaigns.models import Call, Campaign

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


def lock_in_id_order(calls) -> list[int]:
    """Lock these calls in id order, the order settling locks them in (`receipts.ingest.lock_calls`):
    an UPDATE naming several rows locks them in the order its plan meets them (the heap's, in a
    bitmap scan), so two writers of overlapping calls could each hold a row the other waits for."""
    return list(calls.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
