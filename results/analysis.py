"""What the dashboard shows beyond `results.aggregates`: segments, the follow-up chain,
scores and the cross-tab by a contact variable — all from stored aggregates (the result
cube and `CrosstabSnapshot`), so a page costs the same for a hundred calls or a million.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import segments
from campaigns.followups import chain, segments_of
from campaigns.models import Call, Campaign, FollowupBuild
from results import aggregates, charts, crosstab, scores
from results.charts import ANSWERED_HOUR, KEY, LATEST, LIST, STATUS, N

S = Call.Status


def segment_rows(campaign: Campaign, cube: list[list]) -> list[dict]:
    """Every segment with its count (whole campaign) and the link to its calls."""
    latest = [(r[STATUS], r[KEY], r[N]) for r in cube if r[LATEST]]
    rows = segments.counts_from_latest(campaign, latest)
    base = reverse("admin:campaigns_call_changelist")
    for row in rows:
        row.pop("segment")
        row["calls_url"] = f"{base}?campaign__id__exact={campaign.pk}&segment={row['code']}"
    return rows


def _answers_by_key(cube: list[list]) -> Counter:
    by_key: Counter = Counter()
    for r in cube:
        if r[LATEST] and r[STATUS] == S.ANSWERED:
            by_key[r[KEY]] += r[N]
    return by_key


def chain_rows(campaign: Campaign, now: dt.datetime) -> list[dict]:
    """Each campaign of the chain with its segment of origin and its answer distribution."""
    members = chain(campaign)
    if len(members) == 1:
        return []
    names = {c.pk: c.name for c in members}
    builds = {b.campaign_id: b for b in FollowupBuild.objects.filter(campaign__in=members)}
    result = []
    for member in members:
        cube = aggregates.current_snapshot(member, now).cube if member.state != Campaign.State.DRAFT else []
        head = charts.headline(cube)
        by_key = _answers_by_key(cube)
        build = builds.get(member.pk)
        result.append(
            {
                "id": member.pk,
                "name": member.name,
                "current": member.pk == campaign.pk,
                "state": str(member.get_state_display()),
                "dashboard_url": reverse("results:dashboard", args=[member.pk]),
                "change_url": reverse("admin:campaigns_campaign_change", args=[member.pk]),
                "followup_of": names.get(member.followup_of_id),
                "origin": segments.describe(segments_of(member)) if member.followup_of_id else "",
                "copying": build.status != FollowupBuild.Status.DONE if build else False,
                "contacts": head["contacts"] or (build.copied if build else 0),
                "answered": head["answered"],
                "answers": [
                    {
                        "label": o["label"],
                        "count": by_key[o["key"]],
                        "share": charts.percent(by_key[o["key"]], head["completed"]),
                    }
                    for o in member.menu_options
                ],
            }
        )
    return result


def score_charts(campaign: Campaign, cube: list[list]) -> tuple[dict | None, dict]:
    """Overall score summary and the distribution / over-time charts (none without a scale)."""
    options = campaign.menu_options
    scale = scores.scale_of(options)
    if not scale:
        return None, {}
    by_key = _answers_by_key(cube)
    overall = scores.summary(by_key, scale)
    scored = [o for o in options if o["key"] in scale]
    n = overall["n"]
    dist_rows = [
        [
            f"{o['key']}: {o['label']} ({scores.format_score(scale[o['key']])})",
            by_key[o["key"]],
            charts.percent(by_key[o["key"]], n),
        ]
        for o in scored
    ]
    distribution = charts.chart(
        "bar",
        _("Score distribution"),
        [r[0] for r in dist_rows],
        [{"label": _("Answers"), "data": [r[1] for r in dist_rows]}],
        [_("Score"), _("Answers"), _("Share of scored answers (%)")],
        dist_rows,
    )

    zone = zoneinfo.ZoneInfo(campaign.timezone)
    answered = [r for r in cube if r[LATEST] and r[STATUS] == S.ANSWERED and r[ANSWERED_HOUR] is not None]
    hours = sorted({r[ANSWERED_HOUR] for r in answered})
    hourly = bool(hours) and hours[-1] - hours[0] <= 72 * 3600
    fmt = "%Y-%m-%d %H:00" if hourly else "%Y-%m-%d"
    bucket_of = {h: dt.datetime.fromtimestamp(h, tz=dt.UTC).astimezone(zone).strftime(fmt) for h in hours}
    per_bucket: dict[str, Counter] = defaultdict(Counter)
    for r in answered:
        per_bucket[bucket_of[r[ANSWERED_HOUR]]][r[KEY]] += r[N]
    buckets = sorted(per_bucket)
    summaries = [scores.summary(per_bucket[b], scale) for b in buckets]
    nps = scores.is_nps(scale)
    datasets = [{"label": _("Mean score"), "data": [s["mean"] for s in summaries]}]
    columns = [_("Time"), _("Scored answers"), _("Mean score")]
    if nps:
        datasets.append({"label": _("NPS"), "data": [s["nps"] for s in summaries]})
        columns.append(_("NPS"))
    over_time = charts.chart(
        "line",
        _("Score over time (%(zone)s)") % {"zone": campaign.timezone},
        buckets,
        datasets,
        columns,
        [[b, s["n"], s["mean"], *([s["nps"]] if nps else [])] for b, s in zip(buckets, summaries, strict=True)],
    )
    over_time["empty"] = not buckets
    overall["nps_scale"] = nps
    return overall, {"score_distribution": distribution, "score_over_time": over_time}


def extras(
    campaign: Campaign,
    contact_list_id: int | None,
    by: str | None,
    now: dt.datetime | None = None,
    *,
    list_variables: bool = True,
    pool_small: bool = True,
) -> dict:
    """Segments, chain, scores and cross-tab for the dashboard (served from stored aggregates).
    `list_variables=False` leaves out the names for the "break down by" picker (`variables` is
    None): they take a read of every contact, which the page needs once, not on every poll."""
    now = now or timezone.now()
    snapshot = aggregates.current_snapshot(campaign, now)
    cube = snapshot.cube
    listed = [r for r in cube if contact_list_id is None or r[LIST] == contact_list_id]
    overall, charts = score_charts(campaign, listed)
    result = {
        "segments": segment_rows(campaign, cube),
        "chain": chain_rows(campaign, now),
        "score": overall,
        "charts": charts,
        "variables": crosstab.variables(campaign) if list_variables else None,
        "dimensions": crosstab.dimensions(campaign) if list_variables else None,
        "by": None,
    }
    if by and campaign.state != Campaign.State.DRAFT and crosstab.has_variable(campaign, by):
        result["by"] = by
        result["charts"]["crosstab"] = crosstab_chart(campaign, by, snapshot.compute_ms, now, pool_small=pool_small)
    return result


def crosstab_chart(
    campaign: Campaign,
    by: str,
    cube_ms: int | None = None,
    now: dt.datetime | None = None,
    *,
    pool_small: bool = True,
) -> dict:
    """The cross-tab by `by`: computed in the request only when the campaign's cube is cheap.
    `pool_small` (unless the user may export results): small groups go to "other"."""
    if cube_ms is None:
        cube_ms = aggregates.current_snapshot(campaign, now).compute_ms
    table = crosstab.current(campaign, by, cheap=cube_ms <= crosstab.INLINE_MS, now=now)
    return crosstab.build(campaign, by, table, pool_small=pool_small)


def merge(data: dict, more: dict) -> dict:
    """Add the extras to `aggregates.dashboard_data`'s result (charts after its own)."""
    data["charts"].update(more.pop("charts"))
    score = more.get("score")
    data["headline"]["score_mean"] = score["mean"] if score else None
    data["headline"]["nps"] = score["nps"] if score else None
    data.update(more)
    return data
