"""Response, cooperation, refusal and contact rates by the book (AAPOR Standard Definitions,
10th edition), from the stored rates cube (`results.dispositions`): arithmetic on its rows,
no scan of the calls.

The variants, with I complete, P partial, R refusal and break-off, NC non-contact, O other,
UH and UO unknown eligibility (not-eligible cases, NE, are left out of every denominator):

    RR1   = I / ((I + P) + (R + NC + O) + (UH + UO))
    COOP1 = I / ((I + P) + R + O)
    REF1  = R / ((I + P) + (R + NC + O) + (UH + UO))
    CON1  = ((I + P) + R + O) / ((I + P) + (R + NC + O) + (UH + UO))

Overall and per list, each contact is one case, counted by its latest attempt (its final
disposition). Per attempt number, per day and per caller number, each dial attempt made is a
case with its own outcome; the day is the campaign's local date of the hour it was sent (from the
dashboard's cube, which counts calls per UTC hour sent).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from django.db.models import Sum
from django.utils.translation import gettext as _

from campaigns.models import Call, CallerNumber, CallStats, Campaign, ContactList
from campaigns.opt_out import every_opt_out_key as opt_out_keys
from results import aggregates, charts, experiments
from results.dispositions import (
    ATTEMPT,
    CALLER,
    COMPLETE,
    DIALLED,
    DISPOSITIONS,
    KEY,
    LATEST,
    LIST,
    NON_CONTACT,
    NOT_ELIGIBLE,
    OTHER,
    PARTIAL,
    REFUSAL,
    STATUS,
    UNKNOWN_HOUSEHOLD,
    UNKNOWN_OTHER,
    WITHDRAWN_BY,
    N,
    compute_rates_cube,
    outcome_of,
)

RATE_NAMES = ("RR1", "COOP1", "REF1", "CON1")


def group_counts(rows: Iterable[list], opt_outs: frozenset[str]) -> Counter:
    """AAPOR group → cases, over rates-cube rows."""
    groups: Counter = Counter()
    for r in rows:
        groups[DISPOSITIONS[outcome_of(r[STATUS], r[KEY], r[WITHDRAWN_BY], opt_outs)].group] += r[N]
    return groups


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def rates(groups: Counter) -> dict[str, float | None]:
    """RR1, COOP1, REF1 and CON1 (fractions, None when the denominator is empty)."""
    i, p, r = groups[COMPLETE], groups[PARTIAL], groups[REFUSAL]
    nc, o, unknown = groups[NON_CONTACT], groups[OTHER], groups[UNKNOWN_HOUSEHOLD] + groups[UNKNOWN_OTHER]
    eligible_or_unknown = (i + p) + (r + nc + o) + unknown
    return {
        "RR1": _ratio(i, eligible_or_unknown),
        "COOP1": _ratio(i, (i + p) + r + o),
        "REF1": _ratio(r, eligible_or_unknown),
        "CON1": _ratio((i + p) + r + o, eligible_or_unknown),
    }


def _row(label: str, groups: Counter) -> dict:
    cases = sum(n for group, n in groups.items() if group != NOT_ELIGIBLE)
    figures = rates(groups)
    shown = [f"{100 * figures[name]:.1f}%" if figures[name] is not None else "—" for name in RATE_NAMES]
    return {"label": label, "cases": cases, "groups": dict(groups), **figures, "shown": shown}


def _breakdown(rows: list[list], key: Callable[[list], object], opt_outs: frozenset[str]) -> dict[object, Counter]:
    by: dict[object, list[list]] = defaultdict(list)
    for r in rows:
        by[key(r)].append(r)
    return {value: group_counts(value_rows, opt_outs) for value, value_rows in by.items()}


def _by_local_day(campaign: Campaign, cube: list[list], opt_outs: frozenset[str]) -> dict[str, Counter]:
    """AAPOR groups of the attempts sent, per local day, from the dashboard cube's UTC hours sent."""
    by_day: dict[str, Counter] = defaultdict(Counter)
    zone = campaign.zone
    for r in cube:
        if r[charts.SENT_HOUR] is None:
            continue
        day = dt.datetime.fromtimestamp(r[charts.SENT_HOUR], zone).date().isoformat()
        group = DISPOSITIONS[outcome_of(r[charts.STATUS], r[charts.KEY], None, opt_outs)].group
        by_day[day][group] += r[charts.N]
    return by_day


def rate_tables(
    campaign: Campaign, rates_cube: list[list], cube: list[list], contact_list_id: int | None = None
) -> dict:
    """The dispositions and every rate table, JSON-ready, from the rates cube and the dashboard's
    cube (for the days); `contact_list_id` narrows to one list."""
    opt_outs = opt_out_keys(campaign.menu_snapshot or campaign.menu.snapshot())
    rows = [r for r in rates_cube if contact_list_id is None or r[LIST] == contact_list_id]
    latest = [r for r in rows if r[LATEST]]
    attempts = [r for r in rows if r[STATUS] in DIALLED]

    outcomes: Counter = Counter()
    for r in latest:
        outcomes[outcome_of(r[STATUS], r[KEY], r[WITHDRAWN_BY], opt_outs)] += r[N]
    dispositions = [
        {"code": d.code, "group": d.group, "name": str(d.name), "outcome": d.outcome, "count": outcomes[d.outcome]}
        for d in DISPOSITIONS.values()
        if outcomes[d.outcome]
    ]

    list_names = dict(ContactList.objects.filter(campaigns=campaign).values_list("pk", "name"))
    by_list = _breakdown(latest, lambda r: r[LIST], opt_outs)
    by_attempt = _breakdown(attempts, lambda r: r[ATTEMPT], opt_outs)
    by_day = _by_local_day(
        campaign, [r for r in cube if contact_list_id is None or r[charts.LIST] == contact_list_id], opt_outs
    )
    by_caller = _breakdown(attempts, lambda r: r[CALLER], opt_outs)
    caller_names = dict(CallerNumber.objects.filter(pk__in=[k for k in by_caller if k]).values_list("pk", "number"))
    return {
        "dispositions": dispositions,
        "overall": _row(_("All contacts"), group_counts(latest, opt_outs)),
        "by_list": [_row(list_names.get(k, str(k)), g) for k, g in sorted(by_list.items(), key=lambda i: str(i[0]))],
        "by_attempt": [_row(str(k), g) for k, g in sorted(by_attempt.items())],
        "by_day": [_row(k, g) for k, g in sorted(by_day.items())],
        "by_caller": [_row(caller_names.get(k, "—"), g) for k, g in sorted(by_caller.items(), key=lambda i: i[0] or 0)],
    }


def sections(tables: dict) -> list[tuple[str, list[dict]]]:
    """The rate tables under their titles, in the dashboard's order."""
    return [
        (_("Overall"), [tables["overall"]]),
        (_("Per list"), tables["by_list"]),
        (_("Per attempt number"), tables["by_attempt"]),
        (_("Per day"), tables["by_day"]),
        (_("Per caller number"), tables["by_caller"]),
    ]


def computed_now(campaign: Campaign) -> dict:
    """`rate_tables` from cubes computed now (scans the calls: for tests and scripts, not pages)."""
    return rate_tables(campaign, compute_rates_cube(campaign), aggregates.compute_cube(campaign))


def campaign_rates(campaign: Campaign, contact_list_id: int | None = None, now: dt.datetime | None = None) -> dict:
    """`rate_tables` from the campaign's stored cube (refreshed as the dashboard's is)."""
    snapshot = None if campaign.state == Campaign.State.DRAFT else aggregates.current_snapshot(campaign, now)
    rates_cube, cube = (snapshot.rates_cube, snapshot.cube) if snapshot else ([], [])
    tables = rate_tables(campaign, rates_cube, cube, contact_list_id)
    listed = [r for r in rates_cube if contact_list_id is None or r[LIST] == contact_list_id]
    tables["experiment"] = experiments.comparison(campaign, listed)
    tables["local"] = local_table(campaign)
    return tables


def local_table(campaign: Campaign) -> list[dict]:
    """Answer rate of its calls by how local the caller number was (from the stored `CallStats`,
    every list), [] when none of its calls had a number chosen for locality."""
    rows = (
        CallStats.objects.filter(campaign=campaign)
        .exclude(local="")
        .values_list("local")
        .annotate(calls=Sum("calls"), answered=Sum("answered"))
        .order_by()
    )
    found = {how: (calls, answered) for how, calls, answered in rows}
    return [
        {
            "label": label,
            "calls": found[how][0],
            "answered": found[how][1],
            "rate": f"{100 * found[how][1] / found[how][0]:.1f}%" if found[how][0] else "—",
        }
        for how, label in Call.Local.choices
        if how in found
    ]
