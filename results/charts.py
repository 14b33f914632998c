"""The dashboard's figures and charts, shaped from rows of the result cube; one function per chart.

A cube row (see `results.aggregates.compute_cube`) is
(contact list, latest attempt?, status, answer key, dialled?, UTC hour sent, UTC hour answered,
count). Everything here is arithmetic on those rows: no query, no state.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.models import Call

S = Call.Status

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


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def chart(kind: str, title: str, labels: list, datasets: list[dict], columns: list[str], rows: list[list]) -> dict:
    """A chart as the dashboard's script draws it, with the same figures as a table."""
    return {
        "type": kind,
        "title": title,
        "labels": labels,
        "datasets": datasets,
        "table": {"columns": columns, "rows": rows},
        "empty": not any(any(d["data"]) for d in datasets),
    }


def headline(rows: list[list]) -> dict:
    """Per-contact figures from the latest attempts: what `results.aggregates.progress` reports."""
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
        "answer_rate": percent(answered, dialled),
        "completed": completed,
        "completion_rate": percent(completed, contacts),
        "pending": sum(by_status[s] for s in Call.PENDING),
        "unknown": by_status[S.UNKNOWN],
        "failed": sum(by_status[s] for s in (S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID, S.CANCELLED)),
        "dnc": by_status[S.DNC],
        "by_status": dict(by_status),
    }


def funnel_chart(head: dict) -> dict:
    """Enrolled → dialled → answered → answered the question, per contact."""
    labels = [_("Enrolled"), _("Dialled"), _("Answered"), _("Answered the question")]
    values = [head["contacts"], head["dialled"], head["answered"], head["completed"]]
    return chart(
        "bar",
        _("From enrolled to answered"),
        labels,
        [{"label": _("Contacts"), "data": values}],
        [_("Step"), _("Contacts"), _("Share of enrolled (%)")],
        [[label, value, percent(value, head["contacts"])] for label, value in zip(labels, values, strict=True)],
    )


def _latest_answered(rows: list[list]) -> list[list]:
    return [r for r in rows if r[LATEST] and r[STATUS] == S.ANSWERED]


def answers_chart(rows: list[list], options: list[dict], completed: int) -> dict:
    """How many contacts chose each menu option (latest attempts), and how many pressed no key."""
    by_key = Counter()
    for r in _latest_answered(rows):
        by_key[r[KEY]] += r[N]
    answer_rows = [
        [f"{o['key']}: {o['label']}", by_key[o["key"]], percent(by_key[o["key"]], completed)] for o in options
    ]
    answers = chart(
        "bar",
        _("Answers"),
        [row[0] for row in answer_rows],
        [{"label": _("Answers"), "data": [row[1] for row in answer_rows]}],
        [_("Answer"), _("Count"), _("Share of answers (%)")],
        answer_rows,
    )
    answers["no_key"] = by_key[""]  # answered without pressing a menu key
    return answers


def over_time_chart(rows: list[list], options: list[dict], zone_name: str) -> dict:
    """Answers by option over time, in the campaign's zone: hourly over up to three days, else daily."""
    zone = zoneinfo.ZoneInfo(zone_name)
    latest_answered = [r for r in _latest_answered(rows) if r[ANSWERED_HOUR] is not None]
    hours = sorted({r[ANSWERED_HOUR] for r in latest_answered})
    hourly = bool(hours) and hours[-1] - hours[0] <= 72 * 3600
    series: dict[str, Counter] = defaultdict(Counter)
    for r in latest_answered:
        local = dt.datetime.fromtimestamp(r[ANSWERED_HOUR], tz=dt.UTC).astimezone(zone)
        bucket = local.strftime("%Y-%m-%d %H:00") if hourly else local.strftime("%Y-%m-%d")
        series[r[KEY]][bucket] += r[N]
    buckets = sorted({b for counter in series.values() for b in counter})
    keys = [o["key"] for o in options] + ([""] if series.get("") else [])
    names = {o["key"]: f"{o['key']}: {o['label']}" for o in options} | {"": _("No menu key")}
    over_time = chart(
        "bar",
        _("Answers over time (%(zone)s)") % {"zone": zone_name},
        buckets,
        [{"label": names[k], "data": [series[k][b] for b in buckets]} for k in keys],
        [_("Time"), *[names[k] for k in keys]],
        [[b, *[series[k][b] for k in keys]] for b in buckets],
    )
    over_time["stacked"] = True
    return over_time


def outcomes_chart(head: dict) -> dict:
    """Contacts by the outcome of their latest attempt, in `OUTCOME_GROUPS`."""
    status_names = dict(S.choices)
    group_labels = {"failed": _("Failed or invalid"), "pending": _("Waiting to be called")}
    outcome_rows = []
    for name, statuses in OUTCOME_GROUPS:
        count = sum(head["by_status"].get(s, 0) for s in statuses)
        label = group_labels.get(name) or str(status_names[statuses[0]])
        outcome_rows.append([capfirst(label), count, percent(count, head["contacts"])])
    return chart(
        "doughnut",
        _("Outcomes"),
        [row[0] for row in outcome_rows],
        [{"label": _("Contacts"), "data": [row[1] for row in outcome_rows]}],
        [_("Outcome"), _("Contacts"), _("Share of contacts (%)")],
        outcome_rows,
    )


def by_hour_chart(rows: list[list], zone_name: str) -> dict:
    """Every dial attempt by the hour of day it was placed, in the campaign's zone, and its answers."""
    zone = zoneinfo.ZoneInfo(zone_name)
    dialled, answered = [0] * 24, [0] * 24
    for r in rows:
        if r[SENT_HOUR] is None:
            continue
        hour = dt.datetime.fromtimestamp(r[SENT_HOUR], tz=dt.UTC).astimezone(zone).hour
        dialled[hour] += r[N]
        if r[STATUS] == S.ANSWERED:
            answered[hour] += r[N]
    labels = [f"{h:02d}:00" for h in range(24)]
    return chart(
        "bar",
        _("Calls by hour of day (%(zone)s)") % {"zone": zone_name},
        labels,
        [{"label": _("Calls placed"), "data": dialled}, {"label": _("Answered"), "data": answered}],
        [_("Hour"), _("Calls placed"), _("Answered"), _("Answer rate %")],
        [[label, d, a, percent(a, d)] for label, d, a in zip(labels, dialled, answered, strict=True) if d],
    )


def rate_chart(minutes: list[tuple[dt.datetime, int]], zone_name: str) -> dict:
    """Calls/s in each minute (given as (UTC minute start, requests sent in it)), in the zone."""
    zone = zoneinfo.ZoneInfo(zone_name)
    labels = [start.astimezone(zone).strftime("%H:%M") for start, _n in minutes]
    rates = [round(n / 60, 2) for _start, n in minutes]
    return chart(
        "bar",
        _("Calls per second, last hour (%(zone)s)") % {"zone": zone_name},
        labels,
        [{"label": _("Calls/s"), "data": rates}],
        [_("Minute"), _("Calls/s")],
        [[label, rate] for label, rate in zip(labels, rates, strict=True) if rate],
    )


def build(rows: list[list], options: list[dict], zone_name: str) -> dict:
    """Headline and every chart from cube rows, with the campaign's frozen menu options and zone."""
    head = headline(rows)
    return {
        "headline": head,
        "charts": {
            "funnel": funnel_chart(head),
            "answers": answers_chart(rows, options, head["completed"]),
            "over_time": over_time_chart(rows, options, zone_name),
            "outcomes": outcomes_chart(head),
            "by_hour": by_hour_chart(rows, zone_name),
        },
    }
