"""Campaigns through the API: created, started, paused, resumed and cancelled through the
actions layer, each audited as the token's user; the status carries the forecast."""

from __future__ import annotations

from audit.models import AuditEvent
from campaigns.models import Campaign
from tests.api_helpers import client_for


def test_create_start_pause_resume_cancel_audited_as_the_tokens_user(staff_user, contact_list, menu):
    client, _token = client_for(staff_user)
    created = client.post(
        "/api/v1/campaigns/",
        {
            "name": "API survey",
            "contact_lists": [contact_list.pk],
            "menu": menu.name,
            "caller_numbers": ["057100001111"],
            "daily_start": "00:00",
            "daily_end": "00:00",
            "max_attempts": 1,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    campaign = Campaign.objects.get(pk=pk)
    assert list(campaign.caller_numbers.values_list("number", flat=True)) == ["057100001111"]

    states = []
    for action in ("start", "pause", "resume", "cancel"):
        response = client.post(f"/api/v1/campaigns/{pk}/{action}/")
        assert response.status_code == 200, response.content
        states.append(response.json()["state"])
    assert states == ["running", "paused", "running", "cancelled"]  # enrolment runs at once in tests

    events = AuditEvent.objects.filter(campaign_id=pk).order_by("pk")
    assert [e.event for e in events] == [
        "campaign.created", "campaign.started", "campaign.paused", "campaign.resumed", "campaign.cancelled",
    ]  # fmt: skip
    assert {(e.actor_kind, e.actor_user_id) for e in events} == {("api", staff_user.pk)}


def test_status_has_the_figures_and_the_forecast(staff_user, campaign):
    client, _token = client_for(staff_user)
    body = client.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert body["state"] == "draft" and body["contacts"] == 5
    assert {"bound_qps", "binds", "calls_left"} <= set(body["forecast"])


def test_a_draft_that_cannot_start_says_why(staff_user, campaign):
    campaign.caller_numbers.clear()
    client, _token = client_for(staff_user)
    response = client.post(f"/api/v1/campaigns/{campaign.pk}/start/")
    assert response.status_code == 409
    assert "caller number" in response.json()["error"]["message"]
    assert Campaign.objects.get(pk=campaign.pk).state == "draft"
