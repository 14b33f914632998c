"""Local presence, resting unhealthy caller numbers and the retention period are set from the
CLI and the API as in the admin (they were admin-only); a wrong value is refused with a reason."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Campaign
from tests.api_helpers import client_for

pytestmark = pytest.mark.django_db


def test_campaign_create_sets_them(contact_list, caller, menu):
    out = io.StringIO()
    call_command(
        "campaign", "create", "本地外呼", "--list", contact_list.name, "--caller", caller.number, "--menu", menu.name,
        "--local-presence", "first", "--rest-unhealthy", "--retention-days", "30", stdout=out,
    )  # fmt: skip
    campaign = Campaign.objects.get(pk=int(out.getvalue().split()[-1]))
    assert (campaign.local_presence, campaign.rest_unhealthy_numbers, campaign.retention_days) == ("first", True, 30)


def test_campaign_create_defaults_and_refusals(contact_list, caller, menu):
    out = io.StringIO()
    args = ["campaign", "create", "默认", "--list", contact_list.name, "--caller", caller.number, "--menu", menu.name]
    call_command(*args, stdout=out)
    campaign = Campaign.objects.get(pk=int(out.getvalue().split()[-1]))
    assert (campaign.local_presence, campaign.rest_unhealthy_numbers, campaign.retention_days) == ("off", False, None)
    with pytest.raises(CommandError, match="invalid choice"):
        call_command(*args, "--local-presence", "nearby", stdout=io.StringIO())


def test_the_api_sets_and_shows_them(staff_user, contact_list, caller, menu):
    client, _token = client_for(staff_user)
    body = {"name": "API", "contact_lists": [contact_list.pk], "menu": menu.name, "caller_numbers": [caller.number]}
    created = client.post(
        "/api/v1/campaigns/",
        body | {"local_presence": "only", "rest_unhealthy_numbers": True, "retention_days": 90},
        format="json",
    )
    assert created.status_code == 201, created.content
    campaign = Campaign.objects.get(pk=created.json()["id"])
    assert (campaign.local_presence, campaign.rest_unhealthy_numbers, campaign.retention_days) == ("only", True, 90)
    (shown,) = client.get("/api/v1/campaigns/").json()
    assert (shown["local_presence"], shown["rest_unhealthy_numbers"], shown["retention_days"]) == ("only", True, 90)
    refused = client.post("/api/v1/campaigns/", body | {"local_presence": "nearby"}, format="json")
    assert refused.status_code == 400
    assert "local_presence" in refused.json()["error"]["details"]
