"""Result figures for the dashboard, from one "cube" of call counts per campaign.

The cube is one GROUP BY over the campaign's calls: (contact list, latest attempt?, status,
answer key, dialled?, UTC hour sent, UTC hour answered) → count. Every figure and chart
is a sum over its rows, so one scan serves the whole dashboard and every list filter.

On a campaign of a million calls that scan takes about a second, so the cube is kept in
`ResultSnapshot`: a request serves the stored cube and, when it is older than
`FRESH_SECONDS`, either recomputes it on the spot (cheap campaigns) or asks a worker to
(`receipts.jobs.refresh_snapshot`), showing the figures' age meanwhile.

Headline figures follow `campaigns.outcomes.progress` (each contact counted once, by its
latest attempt); a test holds the two to the same numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections import Counter, defaultdict

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.models import Call, Campaign
from receipts.models import ResultSnapshot

log = logging.getLogger(__name__)
S = Call.Status

FRESH_SECONDS = 5  # a cube younger than this is served as it is
INLINE_MS = 200  # cubes cheaper than this are recomputed in the request; dearer ones by a worker
RETRY_REQUEST_SECONDS = 60  # a refresh asked for but not done by then is asked for again

# Cube row layout.
LIST, LATEST, STATUS, KEY, DIALLED, SENT_HOUR, ANSWERED_HOUR, N = range(8)

OUTCOME_GROUPS = [
    ("answered", (S.ANSWERED,)),
    ("no_answer", (S.NO_ANSWER,)),
    ("busy", (S.BUSY,)),
    ("unreachable", (S.UNREACHABLE,)),
    ("failed", (S.FAILED, S.INVALID)),
    ("dnc", (S.DNC,)),
    ("cancelled", (S.CANCELLED,)),
    ("unknown", (S.UNKNOWN,)),
    ("pending", tuple(Call.PENDING)),
]


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
    started = time.perf_counter()
    cube = compute_cube(campaign)
    values = {
        "cube": cube,
        "computed_at": now or timezone.now(),
        "compute_ms": int(1000 * (time.perf_counter() - started)),
        "refresh_requested_at": None,
    }
    try:
        with transaction.atomic():
            snapshot, _ = ResultSnapshot.objects.update_or_create(campaign=campaign, defaults=values)
    except IntegrityError:  # created meanwhile by a concurrent refresh
        ResultSnapshot.objects.filter(campaign=campaign).update(**values)
        snapshot = ResultSnapshot.objects.get(campaign=campaign)
    return snapshot


def request_refresh(campaign: Campaign, now: dt.datetime) -> bool:
    """Ask a worker to recompute the cube, once (the conditional update dedupes concurrent asks)."""
    stale_ask = now - dt.timedelta(seconds=RETRY_REQUEST_SECONDS)
    asked = ResultSnapshot.objects.filter(
        Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=stale_ask), campaign=campaign
    ).update(refresh_requested_at=now)
    if not asked:
        return False
    try:
        import django_rq

        from receipts.jobs import refresh_snapshot_job

        django_rq.get_queue("default").enqueue(refresh_snapshot_job, campaign.pk, job_timeout=600)
    except Exception:
        log.exception("could not queue a dashboard refresh; computing it in the request")
        refresh_snapshot(campaign)
    return True


def current_snapshot(campaign: Campaign, now: dt.datetime | None = None) -> ResultSnapshot:
    now = now or timezone.now()
    snapshot = ResultSnapshot.objects.filter(campaign=campaign).first()
    if snapshot is None:
        return refresh_snapshot(campaign, now)
    if (now - snapshot.computed_at).total_seconds() <= FRESH_SECONDS:
        return snapshot
    if snapshot.compute_ms <= INLINE_MS:
        return refresh_snapshot(campaign, now)
    request_refresh(campaign, now)
    return snapshot


def _menu_options(campaign: Campaign) -> list[dict]:
    snapshot = campaign.menu_snapshot or campaign.menu.snapshot()
    return list(snapshot.get("options", []))


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _chart(kind: str, title: str, labels: list, datasets: list[dict], columns: list[str], rows: list[list]) -> dict:
    return {
        "type": kind,
        "title": title,
        "labels": labels,
        "datasets": datasets,
        "table": {"columns": columns, "rows": rows},
        "empty": not any(any(d["data"]) for d in datasets),
    }


def headline(rows: list[list]) -> dict:
    """Per-contact figures from the latest attempts (the definitions of `outcomes.progress`)."""
    latest = [r for r in rows if r[LATEST]]
    by_status = Counter()
    for r in latest:
        by_status[r[STATUS]] += r[N]
    contacts = sum(by_status.values())
    dialled = sum(r[N] for r in latest if r[DIALLED])
    answered = by_status[S.ANSWERED]
    completed = sum(r[N] for r in latest if r[STATUS] == S.ANSWERED and r[KEY])
    return {
        "contacts": contacts,
        "dialled": dialled,
        "answered": answered,
        "answer_rate": _percent(answered, dialled),
        "completed": completed,
        "completion_rate": _percent(completed, contacts),
        "pending": sum(by_status[s] for s in Call.PENDING),
        "unknown": by_status[S.UNKNOWN],
        "failed": sum(by_status[s] for s in (S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID, S.CANCELLED)),
        "dnc": by_status[S.DNC],
        "by_status": dict(by_status),
    }


def build(campaign: Campaign, rows: list[list]) -> dict:
    """Headline, funnel, answers, answers over time, outcomes and calls by hour, from cube rows."""
    zone = zoneinfo.ZoneInfo(campaign.timezone)
    head = headline(rows)
    latest_answered = [r for r in rows if r[LATEST] and r[STATUS] == S.ANSWERED]

    funnel = _chart(
        "bar",
        _("From enrolled to answered"),
        [_("Enrolled"), _("Dialled"), _("Answered"), _("Answered the question")],
        [{"label": _("Contacts"), "data": [head["contacts"], head["dialled"], head["answered"], head["completed"]]}],
        [_("Step"), _("Contacts"), _("Share of enrolled (%)")],
        [],
    )
    funnel["table"]["rows"] = [
        [label, value, _percent(value, head["contacts"])]
        for label, value in zip(funnel["labels"], funnel["datasets"][0]["data"], strict=True)
    ]

    options = _menu_options(campaign)
    by_key = Counter()
    for r in latest_answered:
        by_key[r[KEY]] += r[N]
    completed = head["completed"]
    answer_rows = [
        [f"{o['key']}: {o['label']}", by_key[o["key"]], _percent(by_key[o["key"]], completed)] for o in options
    ]
    no_key = by_key[""]
    answers = _chart(
        "bar",
        _("Answers"),
        [row[0] for row in answer_rows],
        [{"label": _("Answers"), "data": [row[1] for row in answer_rows]}],
        [_("Answer"), _("Count"), _("Share of answers (%)")],
        answer_rows,
    )
    answers["no_key"] = no_key  # answered without pressing a menu key

    # Answers over time, in the campaign's zone: hourly over up to three days, else daily.
    hours = sorted({r[ANSWERED_HOUR] for r in latest_answered if r[ANSWERED_HOUR] is not None})
    hourly = bool(hours) and hours[-1] - hours[0] <= 72 * 3600
    series: dict[str, Counter] = defaultdict(Counter)
    for r in latest_answered:
        if r[ANSWERED_HOUR] is None:
            continue
        local = dt.datetime.fromtimestamp(r[ANSWERED_HOUR], tz=dt.UTC).astimezone(zone)
        bucket = local.strftime("%Y-%m-%d %H:00") if hourly else local.strftime("%Y-%m-%d")
        series[r[KEY]][bucket] += r[N]
    buckets = sorted({b for counter in series.values() for b in counter})
    keys = [o["key"] for o in options] + ([""] if series.get("") else [])
    names = {o["key"]: f"{o['key']}: {o['label']}" for o in options} | {"": _("No menu key")}
    over_time = _chart(
        "bar",
        _("Answers over time (%(zone)s)") % {"zone": campaign.timezone},
        buckets,
        [{"label": names[k], "data": [series[k][b] for b in buckets]} for k in keys],
        [_("Time"), *[names[k] for k in keys]],
        [[b, *[series[k][b] for k in keys]] for b in buckets],
    )
    over_time["stacked"] = True

    status_names = dict(S.choices)
    outcome_labels = {
        "failed": _("Failed or invalid"),
        "pending": _("Waiting to be called"),
    }
    outcome_rows = []
    for name, statuses in OUTCOME_GROUPS:
        count = sum(head["by_status"].get(s, 0) for s in statuses)
        label = outcome_labels.get(name) or str(status_names[statuses[0]])
        outcome_rows.append([capfirst(label), count, _percent(count, head["contacts"])])
    outcomes = _chart(
        "doughnut",
        _("Outcomes"),
        [row[0] for row in outcome_rows],
        [{"label": _("Contacts"), "data": [row[1] for row in outcome_rows]}],
        [_("Outcome"), _("Contacts"), _("Share of contacts (%)")],
        outcome_rows,
    )

    # Every dial attempt by the hour it was placed, in the campaign's zone.
    dialled_by_hour, answered_by_hour = [0] * 24, [0] * 24
    for r in rows:
        if r[SENT_HOUR] is None:
            continue
        hour = dt.datetime.fromtimestamp(r[SENT_HOUR], tz=dt.UTC).astimezone(zone).hour
        dialled_by_hour[hour] += r[N]
        if r[STATUS] == S.ANSWERED:
            answered_by_hour[hour] += r[N]
    hour_labels = [f"{h:02d}:00" for h in range(24)]
    by_hour = _chart(
        "bar",
        _("Calls by hour of day (%(zone)s)") % {"zone": campaign.timezone},
        hour_labels,
        [
            {"label": _("Calls placed"), "data": dialled_by_hour},
            {"label": _("Answered"), "data": answered_by_hour},
        ],
        [_("Hour"), _("Calls placed"), _("Answered"), _("Answer rate %")],
        [
            [label, d, a, _percent(a, d)]
            for label, d, a in zip(hour_labels, dialled_by_hour, answered_by_hour, strict=True)
            if d
        ],
    )
    return {
        "headline": head,
        "charts": {
            "funnel": funnel,
            "answers": answers,
            "over_time": over_time,
            "outcomes": outcomes,
            "by_hour": by_hour,
        },
    }


def rate_chart(campaign: Campaign, now: dt.datetime) -> dict:
    """Calls/s per minute over the last hour, in the campaign's zone (all lists: the dial rate
    is the campaign's)."""
    import redis

    from campaigns.rates import per_minute

    try:
        minutes = per_minute(campaign.pk, now)
    except redis.RedisError:  # a live view: without Redis, the rest of the dashboard still works
        minutes = []
    labels = [timezone.localtime(start, campaign.zone).strftime("%H:%M") for start, _n in minutes]
    rates = [round(n / 60, 2) for _start, n in minutes]
    return _chart(
        "bar",
        _("Calls per second, last hour (%(zone)s)") % {"zone": campaign.timezone},
        labels,
        [{"label": _("Calls/s"), "data": rates}],
        [_("Minute"), _("Calls/s")],
        [[label, rate] for label, rate in zip(labels, rates, strict=True) if rate],
    )


def dashboard_data(campaign: Campaign, contact_list_id: int | None = None, now: dt.datetime | None = None) -> dict:
    """Everything the dashboard shows, JSON-ready; `contact_list_id` narrows it to one list."""
    now = now or timezone.now()
    snapshot = current_snapshot(campaign, now)
    rows = [r for r in snapshot.cube if contact_list_id is None or r[LIST] == contact_list_id]
    data = build(campaign, rows)
    data["charts"]["rate"] = rate_chart(campaign, now)
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
