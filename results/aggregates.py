"""Result figures for the dashboard, from one "cube" of call counts per campaign.

The cube is one GROUP BY over the campaign's calls: (contact list, latest attempt?, status,
answer key, dialled?, UTC hour sent, UTC hour answered) → count. Every figure and chart
is a sum over its rows, so one scan serves the whole dashboard and every list filter.

On a campaign of a million calls that scan takes about a second, so the cube is kept in
`ResultSnapshot`: a request serves the stored cube and, when it is older than
`FRESH_SECONDS`, either recomputes it on the spot (cheap campaigns) or asks a worker to
(`refresh_snapshot_job`), showing the figures' age meanwhile.

The figures and charts are shaped from the cube's rows in `results.charts`; `progress` is
the campaign's headline figures (each contact counted once, by its latest attempt).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter

from django.db.models import BooleanField, Count, ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.functions import TruncHour
from django.utils import timezone

from campaigns import costs
from campaigns.contacts import contact_hours
from campaigns.enrolment import numbers_to_call
from campaigns.forecast import holding_from_receipts
from campaigns.models import Call, Campaign
from receipts.models import ResultSnapshot
from results import charts, snapshots
from results.dispositions import compute_rates_cube

log = logging.getLogger(__name__)
S = Call.Status

FRESH_SECONDS = 3  # a cube younger than this is served as it is (a receipt shows within ~5 s)
INLINE_MS = 200  # cubes cheaper than this are recomputed in the request; dearer ones by a worker
RETRY_REQUEST_SECONDS = 60  # a refresh asked for but not done by then is asked for again
FINISHED = (Campaign.State.COMPLETED, Campaign.State.CANCELLED)
SETTLED_AFTER_FINISH_SECONDS = 300  # late receipts of a finished campaign arrive within this


def _epoch(value: dt.datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def compute_cube(campaign: Campaign) -> list[list]:
    """One scan of the campaign's calls, grouped; see the module docstring for the row layout."""
    list_ids = list(campaign.contact_lists.values_list("pk", flat=True))
    # With a single list, skip the join to contacts.
    list_expr = Value(list_ids[0], output_field=IntegerField()) if len(list_ids) == 1 else F("contact__contact_list_id")
    rows = (
        Call.objects.filter(campaign=campaign)
        .annotate(
            lst=list_expr,
            dialled=ExpressionWrapper(Q(attempt__gt=1) | Q(sent_at__isnull=False), output_field=BooleanField()),
            sent_hour=TruncHour("sent_at", tzinfo=dt.UTC),
            answered_hour=TruncHour("answered_at", tzinfo=dt.UTC),
        )
        .values_list("lst", "is_latest", "status", "answer_key", "dialled", "sent_hour", "answered_hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        [lst, bool(latest), status, key, bool(dialled), _epoch(sent), _epoch(answered), n]
        for lst, latest, status, key, dialled, sent, answered, n in rows
    ]


def refresh_snapshot(campaign: Campaign, now: dt.datetime | None = None) -> ResultSnapshot:
    def figures() -> dict:
        return {
            "cube": compute_cube(campaign),
            "rates_cube": compute_rates_cube(campaign),
            "holding_seconds": holding_from_receipts(campaign),
            "own_hours": contact_hours.as_json(contact_hours.own_hours_counts(campaign)),
            "billed_minutes": costs.billed_minutes(campaign),
        }

    return snapshots.store(ResultSnapshot, {"campaign": campaign}, figures, now)


def refresh_requested(max_seconds: float = 2.0) -> int:
    """Recompute the cubes pages asked for, oldest ask first, starting none after `max_seconds`.

    The dispatcher's tick and `settle_receipts` call this after settling receipts, so a
    dashboard shows a receipt within seconds even while every RQ worker is busy dialling
    (the job `request_refresh` queues may then wait minutes). Returns how many were refreshed.
    """
    deadline = time.monotonic() + max_seconds
    refreshed = 0
    asked = ResultSnapshot.objects.filter(refresh_requested_at__isnull=False).order_by("refresh_requested_at")
    for campaign_id in list(asked.values_list("campaign_id", flat=True)[:20]):
        if time.monotonic() >= deadline:
            break
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is not None:
            refresh_snapshot(campaign)
            refreshed += 1
    return refreshed


def request_refresh(campaign: Campaign, now: dt.datetime) -> bool:
    """Ask a worker to recompute the cube, once (the conditional update dedupes concurrent asks)."""
    return snapshots.ask_a_worker(
        ResultSnapshot,
        {"campaign": campaign},
        now,
        RETRY_REQUEST_SECONDS,
        refresh_snapshot_job,
        (campaign.pk,),
        job_timeout=600,
        refresh_here=lambda: refresh_snapshot(campaign),
    )


def refresh_snapshot_job(campaign_id: int) -> None:
    """RQ job: recompute a big campaign's cube off the request path."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        refresh_snapshot(campaign)


def is_fresh(snapshot: ResultSnapshot, campaign: Campaign, now: dt.datetime) -> bool:
    """Young enough to serve as it is. A cube that takes long to compute is kept longer (at most
    a third of a worker's time goes to one campaign's refreshes, however many pages poll it);
    one computed well after the campaign finished never goes stale."""
    if campaign.state in FINISHED and campaign.finished_at:
        if snapshot.computed_at >= campaign.finished_at + dt.timedelta(seconds=SETTLED_AFTER_FINISH_SECONDS):
            return True
        if snapshot.computed_at < campaign.finished_at:
            # Computed while it ran: a finished campaign's page stops polling, so never serve that.
            return False
    fresh = max(FRESH_SECONDS, 2 * snapshot.compute_ms / 1000)
    return (now - snapshot.computed_at).total_seconds() <= fresh


def current_snapshot(campaign: Campaign, now: dt.datetime | None = None) -> ResultSnapshot:
    now = now or timezone.now()
    snapshot = ResultSnapshot.objects.filter(campaign=campaign).first()
    if snapshot is None:
        return refresh_snapshot(campaign, now)
    if is_fresh(snapshot, campaign, now):
        return snapshot
    if snapshot.compute_ms <= INLINE_MS:
        return refresh_snapshot(campaign, now)
    request_refresh(campaign, now)
    return snapshot


def progress(campaign: Campaign, now: dt.datetime | None = None, fresh: bool = False) -> dict:
    """A campaign's figures, each contact counted once by its latest attempt (`charts.headline`),
    from the stored cube: the one place progress is computed, for the pages, their polls, the
    forecast and `campaign status`. A poll never scans the campaign's calls (the cube is refreshed
    as the dashboard's); `fresh` recomputes the cube first (the command line, once per run)."""
    if campaign.state == Campaign.State.DRAFT:
        rows, as_of, holding, own_hours, billed = [], None, None, [], {}
    else:
        snapshot = refresh_snapshot(campaign, now) if fresh else current_snapshot(campaign, now)
        rows, as_of, holding, own_hours, billed = (
            snapshot.cube,
            snapshot.computed_at,
            snapshot.holding_seconds,
            snapshot.own_hours,
            snapshot.billed_minutes,
        )
    head = charts.headline(rows)
    labels = {option["key"]: option["label"] for option in campaign.menu_options}
    answers: Counter = Counter()
    for r in rows:
        if r[charts.LATEST] and r[charts.STATUS] == Call.Status.ANSWERED and r[charts.KEY]:
            answers[labels.get(r[charts.KEY], r[charts.KEY])] += r[charts.N]
    figures = {key: head[key] for key in ("contacts", "dialled", "answered", "unknown", "failed", "dnc", "pending")}
    if campaign.state == Campaign.State.DRAFT:
        # Not "0": the numbers it will call, do-not-call and duplicates left out (two counts).
        figures["contacts"] = numbers_to_call(campaign)
    return {
        "state": campaign.state,
        **figures,
        "answers": dict(answers),
        "by_status": head["by_status"],
        "as_of": as_of,
        "holding_seconds": holding,  # mean, from the receipts of ended calls (None: too few yet)
        "own_hours": own_hours,  # calls waiting for their contacts' own hours (`contact_hours.as_json`)
        "billed_minutes": billed,  # per account id, from the receipts' durations (`campaigns.costs`)
        # While `starting`: the enrolment job's progress (contacts in the lists, calls written so far).
        "contacts_enrolled": campaign.contacts_enrolled,
        "contacts_to_enrol": campaign.contacts_to_enrol,
    }


def sent_per_minute(campaign: Campaign, now: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """The campaign's requests per minute over the last hour (all lists: the rate is the campaign's)."""
    import redis

    from campaigns.dialling.rates import per_minute

    try:
        return per_minute(campaign.pk, now)
    except redis.RedisError:  # a live view: without Redis, the rest of the dashboard still works
        return []


def dashboard_data(campaign: Campaign, contact_list_id: int | None = None, now: dt.datetime | None = None) -> dict:
    """Everything the dashboard shows, JSON-ready; `contact_list_id` narrows it to one list."""
    now = now or timezone.now()
    snapshot = current_snapshot(campaign, now)
    rows = [r for r in snapshot.cube if contact_list_id is None or r[charts.LIST] == contact_list_id]
    data = charts.build(rows, campaign.menu_options, campaign.timezone)
    data["charts"]["rate"] = charts.rate_chart(sent_per_minute(campaign, now), campaign.timezone)
    data.update(
        {
            "campaign": {"id": campaign.pk, "name": campaign.name, "state": campaign.state},
            "state_label": str(campaign.get_state_display()),
            "running": campaign.state in (Campaign.State.RUNNING, Campaign.State.PAUSED),
            "contact_list": contact_list_id,
            "as_of": snapshot.computed_at.isoformat(),
            "as_of_local": timezone.localtime(snapshot.computed_at, campaign.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "age_seconds": max(0, int((now - snapshot.computed_at).total_seconds())),
        }
    )
    return data
