"""What a call's receipt means for the call, and what a settled call means for its campaign.

Receipt status codes come from Aliyun's VoiceReport (see shared/aliyun-ivrcall.md). The
receipts app calls `status_for_receipt` to settle a Call and then `after_calls_settled`
so retries get scheduled and finished campaigns complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import Call, Campaign

S = Call.Status

RECEIPT_STATUS = {
    "200000": S.ANSWERED,  # listened to the end
    "200001": S.ANSWERED,  # answered, hung up early
    "200008": S.ANSWERED,  # answered, no key before the timeout
    "200100": S.ANSWERED,  # call ended normally
    "200102": S.ANSWERED,
    "200103": S.ANSWERED,
    "200002": S.BUSY,
    "200003": S.NO_ANSWER,
    "200004": S.INVALID,
    "200005": S.UNREACHABLE,
    "200007": S.UNREACHABLE,
    "200010": S.UNREACHABLE,
    "200011": S.UNREACHABLE,
}
KEY_PRESS_STATUS = "300000"
# Not final: the call is still being set up.
INTERIM_STATUSES = {"200101"}


def status_for_receipt(status_code: str, answered: bool = False) -> str | None:
    """The final Call status a VoiceReport status code stands for (None: not a final record).

    `answered` is whether the receipt carries an answer time (start_time): a call that was
    picked up is answered whatever the hang-up code says.
    """
    code = str(status_code or "").strip()
    if code == KEY_PRESS_STATUS or code in INTERIM_STATUSES or not code:
        return None
    if answered:
        return S.ANSWERED
    return RECEIPT_STATUS.get(code, S.FAILED)


def answer_for_keys(snapshot: dict | None, dtmf: str) -> tuple[str, str]:
    """Map pressed keys to (key, label) through a frozen menu: the first key that is an option."""
    options = {o["key"]: o["label"] for o in (snapshot or {}).get("options", [])}
    for key in dtmf or "":
        if key in options:
            return key, options[key]
    return "", ""


def after_calls_settled(call_ids: Iterable[int], now: dt.datetime | None = None) -> None:
    """Schedule retries for retryable outcomes and complete campaigns with nothing left to do."""
    now = now or timezone.now()
    calls = list(
        Call.objects.filter(pk__in=list(call_ids), is_latest=True, status__in=Call.FINAL).select_related("campaign")
    )
    campaign_ids = {call.campaign_id for call in calls}
    schedule_retries(calls, now)
    for campaign in Campaign.objects.filter(pk__in=campaign_ids, state=Campaign.State.RUNNING):
        complete_if_done(campaign, now)


def should_retry(call: Call) -> bool:
    """Rule 4: retry only retryable outcomes, within max attempts, while the campaign runs."""
    campaign = call.campaign
    if campaign.state not in (Campaign.State.RUNNING, Campaign.State.PAUSED):
        return False
    return call.status in (campaign.retry_outcomes or []) and call.attempt < campaign.max_attempts


def _next_attempt(call: Call, now: dt.datetime) -> Call:
    return Call(
        campaign=call.campaign,
        contact_id=call.contact_id,
        phone=call.phone,
        attempt=call.attempt + 1,
        due_at=now + dt.timedelta(seconds=call.campaign.retry_delay_seconds),
    )


def schedule_retries(calls: Iterable[Call], now: dt.datetime) -> list[Call]:
    """Rule 4 for a whole receipt batch, in three queries whatever its size."""
    due = {call.pk: call for call in calls if should_retry(call)}
    if not due:
        return []
    with transaction.atomic():
        # Lock, then re-check is_latest: a replayed receipt schedules nothing twice.
        still_latest = list(
            Call.objects.select_for_update()
            .filter(pk__in=list(due), is_latest=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not still_latest:
            return []
        Call.objects.filter(pk__in=still_latest).update(is_latest=False)
        return Call.objects.bulk_create([_next_attempt(due[pk], now) for pk in still_latest])


def complete_if_done(campaign: Campaign, now: dt.datetime | None = None) -> bool:
    """A running campaign completes once no call of it is pending or of unknown outcome."""
    open_statuses = [*Call.PENDING, S.UNKNOWN]
    if campaign.calls.filter(is_latest=True, status__in=open_statuses).exists():
        return False
    return bool(
        Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.RUNNING).update(
            state=Campaign.State.COMPLETED, finished_at=now or timezone.now()
        )
    )


def progress(campaign: Campaign) -> dict:
    """Per-contact figures: each contact counted once, by its latest attempt (one scan)."""
    rows = (
        campaign.calls.filter(is_latest=True)
        .values_list("status", "answer_label")
        .annotate(n=Count("id"), dialled=Count("id", filter=Q(attempt__gt=1) | Q(sent_at__isnull=False)))
        .order_by()
    )
    counts: dict[str, int] = {}
    answers: dict[str, int] = {}
    dialled = 0
    for status, label, n, sent in rows:
        counts[status] = counts.get(status, 0) + n
        dialled += sent
        if status == S.ANSWERED and label:
            answers[label] = answers.get(label, 0) + n
    failed_statuses = (S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID, S.CANCELLED)
    return {
        "state": campaign.state,
        "contacts": sum(counts.values()),
        "dialled": dialled,
        "answered": counts.get(S.ANSWERED, 0),
        "unknown": counts.get(S.UNKNOWN, 0),
        "failed": sum(counts.get(s, 0) for s in failed_statuses),
        "dnc": counts.get(S.DNC, 0),
        "pending": sum(counts.get(s, 0) for s in Call.PENDING),
        "answers": answers,
        "by_status": counts,
    }
