"""A campaign's status as `campaign status --json` and the API print it: the figures (from the
stored cube, refreshed first), the follow-up links, the consent counts (marketing) and the forecast."""

from __future__ import annotations

from campaigns import consent, costs
from campaigns.forecast import Forecast, campaign_forecast
from campaigns.models import Campaign, FollowupBuild
from results.aggregates import progress


def status_report(campaign: Campaign) -> tuple[dict, Forecast]:
    """Returns (figures, forecast); figures["forecast"] is the forecast as JSON."""
    figures = progress(campaign, fresh=True)
    figures.pop("as_of")
    figures.update({"id": campaign.pk, "name": campaign.name, "reason": campaign.state_reason_text})
    if campaign.followup_of_id:
        build = FollowupBuild.objects.filter(campaign=campaign).first()
        figures["followup_of"] = {
            "id": campaign.followup_of_id,
            "segments": campaign.followup_segments,
            "copy": build.status if build else None,
        }
    figures["followups"] = list(campaign.followups.order_by("pk").values_list("pk", flat=True))
    # Marketing: distinct numbers with recorded consent (called) and without (skipped); else None.
    figures["consent"] = consent.counts(campaign)
    forecast = campaign_forecast(campaign)
    figures["forecast"] = forecast.as_json()
    minutes, spent = costs.spend(figures["billed_minutes"])
    expected = costs.forecast_estimate(campaign, forecast)
    figures["cost"] = {"billed_minutes": minutes, "spent": str(spent), "estimate_left": str(expected.amount)}
    return figures, forecast
