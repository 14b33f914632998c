"""Cross-tab: a campaign's results broken down by one contact variable (e.g. `product`, `city`),
or by the callee's province, city or carrier (`DERIVED`: derived from the number's prefix through
`campaigns.regions`, grouped by prefix in the database, no copy stored per contact).

A worker groups the latest attempts by (variable value, status, answer key, dialled?) and
keeps the `TOP` values with the most contacts plus "other" in a `CrosstabSnapshot`; the
dashboard reads that stored table (a few hundred numbers, whatever the campaign's size)
and builds the chart, the table and the CSV from it. Freshness follows the dashboard's
cube: small campaigns recompute in the request, big ones ask a worker and show the age.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict

from django.db.models import BooleanField, Case, Count, ExpressionWrapper, Q, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Substr
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.actors import Actor
from audit.downloads import counted
from campaigns import regions, spreadsheets
from campaigns.contacts.variables import variable_names_of
from campaigns.models import Call, Campaign
from receipts.models import CrosstabSnapshot
from results import exports, scores, snapshots

log = logging.getLogger(__name__)
S = Call.Status

TOP = 20
# A value shared by fewer contacts than this may name a person (`by=email`): its cell goes to
# "other" for users who may not export results (the per-person answers), see SECURITY.md.
MIN_GROUP_CONTACTS = 5
FRESH_SECONDS = 30
INLINE_MS = 200
RETRY_REQUEST_SECONDS = 120
# Row layout of a value's counts: [status, answer key, dialled?, n].
STATUS, KEY, DIALLED, N = range(4)


# Dimensions derived from the callee's number: name → the part of `regions.Region` it is.
DERIVED = {"@province": "province", "@city": "city", "@carrier": "carrier"}


def derived_labels() -> dict[str, str]:
    return {"@province": _("callee's province"), "@city": _("callee's city"), "@carrier": _("callee's carrier")}


def label_of(variable: str) -> str:
    return derived_labels().get(variable) or exports.variable_header(variable)


def dimensions(campaign: Campaign) -> list[tuple[str, str]]:
    """(name, label) of everything a cross-tab may break down by: the derived ones, then variables."""
    return [*derived_labels().items(), *((name, name) for name in variables(campaign))]


def has_variable(campaign: Campaign, name: str) -> bool:
    """Whether the contacts of the campaign's lists carry `name` (their stored names: no contact
    is read, so a made-up name in a URL costs nothing), or it is a derived dimension."""
    return name in DERIVED or name in variables(campaign)


def variables(campaign: Campaign) -> list[str]:
    """Names of the variables of the campaign's contacts, sorted."""
    return sorted(variable_names_of(list(campaign.contact_lists.values_list("pk", flat=True))))


def compute_table(campaign: Campaign, variable: str) -> dict:
    """One GROUP BY over the latest attempts; the TOP values by contacts, the rest merged."""
    if variable in DERIVED:
        # By the prefix that fixes a number's region (`regions.prefix_of`), named here.
        value = Case(When(phone__startswith="1", then=Substr("phone", 1, 7)), default=Substr("phone", 1, 6))
    else:
        value = KeyTextTransform(variable, "contact__variables")
    rows = (
        Call.objects.filter(campaign=campaign, is_latest=True)
        .annotate(
            value=value,
            dialled=ExpressionWrapper(Q(attempt__gt=1) | Q(sent_at__isnull=False), output_field=BooleanField()),
        )
        .values_list("value", "status", "answer_key", "dialled")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_value: dict[str, Counter] = defaultdict(Counter)
    for value, status, key, dialled, n in rows:
        if variable in DERIVED:
            value = getattr(regions.region_of((value or "").ljust(11, "0")), DERIVED[variable])
        by_value["" if value is None else str(value)][(status, key, bool(dialled))] += n
    ranked = sorted(by_value, key=lambda v: (-sum(by_value[v].values()), v))
    other: Counter = Counter()
    for value in ranked[TOP:]:
        other.update(by_value[value])

    def flat(counter: Counter) -> list[list]:
        return [[status, key, dialled, n] for (status, key, dialled), n in sorted(counter.items())]

    return {
        "values": [[value, flat(by_value[value])] for value in ranked[:TOP]],
        "other": flat(other),
        "other_values": max(0, len(ranked) - TOP),
    }


def refresh(campaign: Campaign, variable: str, now: dt.datetime | None = None) -> CrosstabSnapshot:
    lookup = {"campaign": campaign, "variable": variable}
    return snapshots.store(CrosstabSnapshot, lookup, lambda: {"table": compute_table(campaign, variable)}, now)


def refresh_job(campaign_id: int, variable: str) -> None:
    """The RQ job."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        refresh(campaign, variable)


def request_refresh(campaign: Campaign, variable: str, now: dt.datetime) -> None:
    """Ask a worker to recompute, once (the conditional update dedupes concurrent asks)."""
    snapshots.ask_a_worker(
        CrosstabSnapshot,
        {"campaign": campaign, "variable": variable},
        now,
        RETRY_REQUEST_SECONDS,
        refresh_job,
        (campaign.pk, variable),
        job_timeout=1800,
        refresh_here=lambda: refresh(campaign, variable, now),
    )


def current(campaign: Campaign, variable: str, cheap: bool, now: dt.datetime | None = None) -> CrosstabSnapshot:
    """The stored table, refreshed in the request when `cheap` (small campaign) or by a worker.

    A table never computed comes back with `computed_at=None` until the worker is done.
    """
    now = now or timezone.now()
    snapshot = CrosstabSnapshot.objects.filter(campaign=campaign, variable=variable).first()
    if snapshot is None:
        if cheap:
            return refresh(campaign, variable, now)
        snapshot, _created = CrosstabSnapshot.objects.get_or_create(
            campaign=campaign, variable=variable, defaults={"computed_at": None}
        )
    elif snapshot.computed_at and (now - snapshot.computed_at).total_seconds() <= FRESH_SECONDS:
        return snapshot
    elif cheap and snapshot.compute_ms <= INLINE_MS:
        return refresh(campaign, variable, now)
    request_refresh(campaign, variable, now)
    return snapshot


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def pool_small_groups(table: dict) -> dict:
    """The table with every value of fewer than MIN_GROUP_CONTACTS contacts merged into "other"."""
    kept, other = [], Counter()
    pooled = 0
    for value, counts in table.get("values", []):
        if sum(r[N] for r in counts) >= MIN_GROUP_CONTACTS:
            kept.append([value, counts])
            continue
        pooled += 1
        for status, key, dialled, n in counts:
            other[(status, key, dialled)] += n
    for status, key, dialled, n in table.get("other", []):
        other[(status, key, dialled)] += n
    flat = [[status, key, dialled, n] for (status, key, dialled), n in sorted(other.items())]
    return {"values": kept, "other": flat, "other_values": table.get("other_values", 0) + pooled}


def build(campaign: Campaign, variable: str, snapshot: CrosstabSnapshot, *, pool_small: bool = True) -> dict:
    """Chart (stacked answers per value), table and score columns from the stored table.
    `pool_small`: values of few contacts go to "other" (for users who may not export results)."""
    options = campaign.menu_options
    scale = scores.scale_of(options)
    table = snapshot.table or {}
    if pool_small:
        table = pool_small_groups(table)
    groups = [(value or _("(blank)"), counts) for value, counts in table.get("values", [])]
    if table.get("other"):
        groups.append(
            (
                ngettext("Other (%(count)d value)", "Other (%(count)d values)", table.get("other_values", 0))
                % {"count": table.get("other_values", 0)},
                table["other"],
            ),
        )
    labels, rows = [], []
    key_series: dict[str, list[int]] = {o["key"]: [] for o in options}
    no_key_series: list[int] = []
    for name, counts in groups:
        contacts = sum(r[N] for r in counts)
        dialled = sum(r[N] for r in counts if r[DIALLED])
        answered = sum(r[N] for r in counts if r[STATUS] == S.ANSWERED)
        by_key = Counter()
        for r in counts:
            if r[STATUS] == S.ANSWERED:
                by_key[r[KEY]] += r[N]
        for key, series in key_series.items():
            series.append(by_key[key])
        no_key_series.append(by_key[""])
        row = [name, contacts, dialled, answered, _percent(answered, dialled)]
        row += [by_key[o["key"]] for o in options]
        if scale:
            score = scores.summary(by_key, scale)
            row.append(score["mean"])
            if scores.is_nps(scale):
                row.append(score["nps"])
        labels.append(name)
        rows.append(row)
    names = [f"{o['key']}: {o['label']}" for o in options]
    columns = [label_of(variable), _("Contacts"), _("Dialled"), _("Answered"), _("Answer rate %"), *names]
    if scale:
        columns.append(_("Mean score"))
        if scores.is_nps(scale):
            columns.append(_("NPS"))
    datasets = [{"label": name, "data": key_series[o["key"]]} for name, o in zip(names, options, strict=True)]
    if any(no_key_series):
        datasets.append({"label": _("No menu key"), "data": no_key_series})
    return {
        "type": "bar",
        "title": _("Answers by %(variable)s") % {"variable": label_of(variable)},
        "labels": labels,
        "datasets": datasets,
        "table": {"columns": columns, "rows": rows},
        "empty": not any(any(d["data"]) for d in datasets),
        "stacked": True,
        "variable": variable,
        "pending": snapshot.computed_at is None,
        "as_of": snapshot.computed_at.isoformat() if snapshot.computed_at else None,
    }


def csv_response(campaign: Campaign, chart: dict, actor: Actor) -> HttpResponse:
    """The cross-tab's table as CSV (through `campaigns.spreadsheets`, like every download)."""
    table = [chart["table"]["columns"], *chart["table"]["rows"]]
    rows = counted(table, actor, "download.crosstab", campaign, changes={"by": [None, chart["variable"]]})
    return spreadsheets.csv_response(rows, exports.filename(campaign, _("cross-tab"), "csv", chart["variable"]))
