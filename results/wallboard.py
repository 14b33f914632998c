"""The wallboard: every running or paused campaign on one page, for the operations room.

Per campaign: the calls/s it sends now against the bound the forecast works out (and what
binds it), its contacts answered, opt-outs, calls whose outcome is unknown, and why it is
paused. Per caller number in use: calls in flight against its concurrency (flagged at or near
it), lowered or deactivated numbers with the reason. No phone number of anybody called is
shown; caller numbers appear by their label, else masked.

Figures come from the stored progress cube (`results.aggregates.progress`), the live rate
counters in Redis (`campaigns.forecast.live_rate`) and one grouped query each for opt-outs and
calls in flight: the page polls `data()` without scanning the calls.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import forecast, health, times
from campaigns.dialling.claiming import calls_in_flight
from campaigns.models import CallerNumber, Campaign, DoNotCall
from campaigns.privacy import mask_phone
from results.aggregates import progress

SHOWN_STATES = (Campaign.State.RUNNING, Campaign.State.PAUSED, Campaign.State.STARTING)
NEAR_SHARE = 0.8  # a number carrying this share of its concurrency is "near" it


def _binds_text(binds: str) -> str:
    return {
        forecast.ACCOUNT: _("the accounts' QPS budget"),
        forecast.CALLER_NUMBERS: _("the caller numbers' concurrency"),
        forecast.CAMPAIGN: _("this campaign's own max calls per second"),
    }[binds]


def _campaign_row(campaign: Campaign, opt_outs: int, now: dt.datetime) -> dict:
    figures = progress(campaign, now)
    estimate = forecast.campaign_forecast(campaign, now)
    rate = forecast.live_rate(campaign, now)
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "state": campaign.state,
        "state_display": campaign.get_state_display(),
        "paused_because": campaign.state_reason_text if campaign.state == Campaign.State.PAUSED else "",
        "rate": rate,
        "bound": round(estimate.bound_qps, 2),
        "binds": _binds_text(estimate.binds),
        "contacts": figures["contacts"],
        "dialled": figures["dialled"],
        "answered": figures["answered"],
        "unknown": figures["unknown"],
        "pending": figures["pending"],
        "opt_outs": opt_outs,
    }


def _caller_rows(campaigns: list[Campaign], now: dt.datetime) -> list[dict]:
    numbers = list(CallerNumber.objects.filter(campaigns__in=campaigns).distinct().order_by("label", "pk"))
    busy = calls_in_flight([number.pk for number in numbers], now)
    rows = []
    for number in numbers:
        cap = number.concurrency(now)
        in_flight = busy.get(number.pk, 0)
        lowered = cap < number.configured_concurrency
        rows.append(
            {
                "name": number.label or mask_phone(number.number),
                "in_flight": in_flight,
                "concurrency": cap,
                "configured": number.configured_concurrency,
                "at_cap": number.active and in_flight >= cap,
                "near_cap": number.active and in_flight >= cap * NEAR_SHARE,
                "active": number.active,
                "lowered": lowered,
                "why": number.inactive_reason_text if not number.active else "",
                "health": health.flag_text(number),  # answer rate dropped; resting
            }
        )
    return rows


def data(now: dt.datetime | None = None) -> dict:
    """The wallboard's figures, as the page draws them and its poll returns them."""
    now = now or timezone.now()
    campaigns = list(Campaign.objects.filter(state__in=SHOWN_STATES).select_related("menu").order_by("state", "name"))
    opt_outs = dict(
        DoNotCall.objects.filter(campaign__in=campaigns, reason__code="dnc.opted_out")
        .values_list("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    rows = [_campaign_row(campaign, opt_outs.get(campaign.pk, 0), now) for campaign in campaigns]
    return {
        "as_of": times.stamp(now, seconds=True),  # the operator's zone, with its offset
        "campaigns": rows,
        "caller_numbers": _caller_rows(campaigns, now),
        "running": sum(row["state"] == Campaign.State.RUNNING for row in rows),
        "paused": sum(row["state"] == Campaign.State.PAUSED for row in rows),
    }
