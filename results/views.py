"""The results dashboard and the result exports. Thin: the work is in `results.aggregates`,
`results.analysis` and `results.exports`."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.actors import Actor
from campaigns import segments, spreadsheets
from campaigns.followups import may_follow_up
from campaigns.models import Campaign
from campaigns.permissions import may_export_results, refusal
from campaigns.privacy import shown_data
from results import aggregates, analysis, best_hours, chain_exports, crosstab, exports, rates
from results import wallboard as board

WALLBOARD_REFRESH_SECONDS = 5


def _filters(request: HttpRequest, campaign: Campaign) -> int | None:
    raw = request.GET.get("list") or ""
    if not (raw.isascii() and raw.isdigit()):  # "²".isdigit() is true, int("²") fails
        return None
    list_id = int(raw)
    if not campaign.contact_lists.filter(pk=list_id).exists():
        raise Http404(_("That list is not part of this campaign."))
    return list_id


def campaign_viewer(view):
    """Staff who may view campaigns: results are campaign data."""
    return staff_member_required(permission_required("campaigns.view_campaign", raise_exception=True)(view))


@campaign_viewer
@require_GET
def dashboard(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    list_id = _filters(request, campaign)
    by = request.GET.get("by") or None
    # Chart tables name variable values (a cross-tab by a number column would list numbers).
    data = shown_data(request.user, _data(campaign, list_id, by, pool_small=not may_export_results(request.user)))
    query = {k: v for k, v in (("list", list_id), ("by", data["by"])) if v}
    user = request.user
    context = {
        "campaign": campaign,
        "lists": campaign.contact_lists.order_by("name"),
        "list_id": list_id,
        "data": data,
        "query": urlencode(query),
        "title": _("Results: %(name)s") % {"name": campaign.name},
        "no_data_text": _("No data yet."),
        "may_export": may_export_results(user),
        "may_follow_up": may_follow_up(user),
        "may_view_calls": user.has_perm("campaigns.view_call"),
        "rate_sections": rates.sections(data["rates"]),
    }
    return render(request, "results/dashboard.html", context)


def _data(
    campaign: Campaign, list_id: int | None, by: str | None, *, list_variables: bool = True, pool_small: bool = True
) -> dict:
    """`pool_small`: cross-tab values of few contacts go to "other" (unless the user may export results)."""
    data = aggregates.dashboard_data(campaign, contact_list_id=list_id)
    data["rates"] = rates.campaign_rates(campaign, list_id)
    extras = analysis.extras(campaign, list_id, by, list_variables=list_variables, pool_small=pool_small)
    return analysis.merge(data, extras)


def _segments(request: HttpRequest) -> list:
    try:
        return segments.parse_all(request.GET.getlist("segment"))
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc


@campaign_viewer
@require_GET
def dashboard_data(request: HttpRequest, campaign_id: int) -> JsonResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    list_id = _filters(request, campaign)
    # The poll redraws figures and charts; the picker's variable names stay as the page drew them.
    by = request.GET.get("by") or None
    pool_small = not may_export_results(request.user)
    data = _data(campaign, list_id, by, list_variables=False, pool_small=pool_small)
    return JsonResponse(shown_data(request.user, data))


@staff_member_required
@require_GET
def export_results(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponse:
    """Numbers, names and answers: personal data (see campaigns.permissions)."""
    if not may_export_results(request.user):
        raise refusal()
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    list_id = _filters(request, campaign)
    if fmt == "csv":
        return exports.csv_response(campaign, Actor.of_request(request), contact_list_id=list_id)
    if fmt == "xlsx":
        try:
            return exports.xlsx_response(campaign, Actor.of_request(request), contact_list_id=list_id)
        except spreadsheets.TooWide as exc:
            messages.error(request, str(exc))
            return redirect("results:dashboard", campaign.pk)
    raise Http404


@campaign_viewer
@require_GET
def segment_action(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The dashboard's segment form: export the ticked segments or make a follow-up of them."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    chosen = _segments(request)
    query = urlencode([("segment", s.code) for s in chosen])
    if request.GET.get("do") == "followup":
        return redirect(reverse("admin:campaigns_campaign_followup", args=[campaign.pk]) + "?" + query)
    fmt = request.GET.get("format", "csv")
    return redirect(reverse("results:segment-export", args=[campaign.pk, fmt]) + "?" + query)


@campaign_viewer
@require_GET
def export_segment(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if not may_export_results(request.user):
        raise refusal()
    rows = chain_exports.segment_rows(campaign, _segments(request))
    return _download(request, campaign, rows, "segment", fmt)


@campaign_viewer
@require_GET
def export_chain(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if not may_export_results(request.user):
        raise refusal()
    return _download(request, campaign, chain_exports.chain_rows(campaign), "chain", fmt)


def _download(request: HttpRequest, campaign: Campaign, rows, kind: str, fmt: str) -> HttpResponse:
    try:
        return chain_exports.response(rows, campaign, kind, fmt, Actor.of_request(request))
    except spreadsheets.TooWide as exc:
        messages.error(request, str(exc))
        return redirect("results:dashboard", campaign.pk)


@campaign_viewer
@require_GET
def export_crosstab(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The cross-tab table as CSV: counts only, no contact is named."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    by = request.GET.get("by") or ""
    if not by or not crosstab.has_variable(campaign, by):
        raise Http404(_("No contact of this campaign has that variable."))
    chart = analysis.crosstab_chart(campaign, by, pool_small=not may_export_results(request.user))
    if chart["pending"]:
        return HttpResponse(_("The breakdown is being computed; try again in a moment."), status=503)
    return crosstab.csv_response(campaign, shown_data(request.user, chart), Actor.of_request(request))


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


@campaign_viewer
@require_GET
def best_hours_page(request: HttpRequest) -> HttpResponse:
    """The heat map of answer rates by weekday and hour, and a suggested window (`results.best_hours`)."""
    carrier, province = request.GET.get("carrier", ""), request.GET.get("province", "")
    raw_length = request.GET.get("hours", "")
    length = int(raw_length) if raw_length.isascii() and raw_length.isdigit() else 3
    length = min(max(length, 1), 12)
    cells = best_hours.grid(carrier=carrier, province=province)
    rates = [cell.rate for cell in cells.values() if cell.calls >= best_hours.MIN_CALLS and cell.rate is not None]
    low, high = (min(rates), max(rates)) if rates else (0.0, 0.0)
    rows = []
    for weekday, label in sorted(WEEKDAYS.items()):
        row = []
        for hour in range(24):
            cell = cells.get((weekday, hour), best_hours.Cell())
            rate = cell.rate if cell.calls >= best_hours.MIN_CALLS else None
            title = _("%(calls)d calls, %(answered)d answered") % {"calls": cell.calls, "answered": cell.answered}
            row.append({"shade": best_hours.shade(rate, low, high), "text": _percent(rate), "title": title})
        rows.append({"label": label, "cells": row})
    suggestion = best_hours.suggest(cells, length)
    breakdowns = [
        (
            title,
            [{"label": v or "—", "calls": c.calls, "rate": _percent(c.rate)} for v, c in best_hours.by_dimension(d)],
        )
        for title, d in ((_("By carrier"), "carrier"), (_("By province"), "province"))
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Best hours to call"),
        "days": best_hours.DAYS,
        "zone": settings.DEFAULT_CAMPAIGN_TIMEZONE,
        "carriers": best_hours.choices("carrier"),
        "provinces": best_hours.choices("province"),
        "carrier": carrier,
        "province": province,
        "length": length,
        "hours": [f"{hour:02d}" for hour in range(24)],
        "rows": rows,
        "breakdowns": breakdowns,
        "suggestion": suggestion
        and {
            "start_text": f"{suggestion.start:02d}:00",
            "end_text": f"{suggestion.end:02d}:00",
            "rate_text": _percent(suggestion.rate),
            "overall_text": _percent(suggestion.overall),
            "calls": suggestion.calls,
        },
    }
    return render(request, "results/best_hours.html", context)


@campaign_viewer
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    """Every running or paused campaign on one page (`results.wallboard`); it polls `wallboard_data`."""
    context = {"data": board.data(), "title": _("Wallboard"), "refresh_seconds": WALLBOARD_REFRESH_SECONDS}
    return render(request, "results/wallboard.html", context)


@campaign_viewer
@require_GET
def wallboard_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(board.data())
