"""The chain across follow-ups through the API: every contact of the first campaign with the
outcome of its latest call in each campaign of the chain (as the chain download has it),
cursor-paginated; numbers masked for a token whose user may not see full numbers."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Call, Campaign, Contact
from tests.api_helpers import client_for, user_with

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


def settle(campaign, outcomes):
    contacts = list(Contact.objects.filter(contact_list__campaigns=campaign).order_by("phone"))
    for n, (contact, (status, label)) in enumerate(zip(contacts, outcomes, strict=False)):
        Call.objects.create(
            campaign=campaign, contact=contact, phone=contact.phone, status=status,
            answer_label=label, answer_key="1" if label else "", settled_at=T0 + dt.timedelta(minutes=n),
        )  # fmt: skip


def chain_of_two(staff_user, running_campaign) -> tuple[Campaign, Campaign]:
    settle(running_campaign, [("answered", "不满意"), ("no_answer", ""), ("answered", "不满意"), ("answered", "满意")])
    client, _token = client_for(staff_user)
    created = client.post(
        f"/api/v1/campaigns/{running_campaign.pk}/followups/",
        {"name": "回访", "answers": ["不满意"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    followup = Campaign.objects.get(pk=created.json()["id"])
    settle(followup, [("answered", "满意")])  # the first of the two called back
    return running_campaign, followup


def test_the_chain_page_by_page_from_either_campaign(staff_user, running_campaign):
    first, followup = chain_of_two(staff_user, running_campaign)
    client, _token = client_for(staff_user)
    page = client.get(f"/api/v1/campaigns/{followup.pk}/chain/", {"limit": 3})
    assert page.status_code == 200, page.content
    body = page.json()
    assert [c["id"] for c in body["campaigns"]] == [first.pk, followup.pk]
    assert body["campaigns"][1]["followup_of"] == first.pk
    rows = body["results"]
    rest = client.get(f"/api/v1/campaigns/{first.pk}/chain/", {"limit": 3, "cursor": body["next_cursor"]}).json()
    assert rest["next_cursor"] is None
    rows += rest["results"]
    outcomes = {r["phone"]: [(o["campaign_id"], o["status"], o["answer_label"]) for o in r["outcomes"]] for r in rows}
    assert outcomes == {
        "13800130000": [(first.pk, "answered", "不满意"), (followup.pk, "answered", "满意")],
        "13800130001": [(first.pk, "no_answer", ""), (followup.pk, None, None)],
        "13800130002": [(first.pk, "answered", "不满意"), (followup.pk, None, None)],
        "13800130003": [(first.pk, "answered", "满意"), (followup.pk, None, None)],
    }
    assert rows[0]["name"] == "张三0" and rows[0]["variables"] == {"product": "宽带"}


def test_numbers_are_masked_without_see_full_phone_numbers(django_user_model, staff_user, running_campaign):
    first, _followup = chain_of_two(staff_user, running_campaign)
    reader = user_with(
        django_user_model, "reader", "campaigns.view_campaign", "campaigns.view_call", "campaigns.view_contact"
    )
    client, _token = client_for(reader)
    body = client.get(f"/api/v1/campaigns/{first.pk}/chain/").json()
    assert [r["phone"] for r in body["results"]][:2] == ["138****0000", "138****0001"]
    assert "13800130000" not in str(body)
    assert body["results"][0]["name"] == "张三0"  # names are view_contact's, numbers see_full_phone_numbers'

    analyst = user_with(django_user_model, "analyst", "campaigns.view_campaign", "campaigns.view_call")
    client, _token = client_for(analyst)
    row = client.get(f"/api/v1/campaigns/{first.pk}/chain/").json()["results"][0]
    assert row["phone"] == "138****0000" and row["name"] is None and row["variables"] is None


def test_without_view_call_no_chain_and_a_bad_cursor_is_invalid(django_user_model, staff_user, running_campaign):
    viewer = user_with(django_user_model, "viewer", "campaigns.view_campaign")
    client, _token = client_for(viewer)
    assert client.get(f"/api/v1/campaigns/{running_campaign.pk}/chain/").status_code == 403
    client, _token = client_for(staff_user, HTTP_ACCEPT_LANGUAGE="en")
    bad = client.get(f"/api/v1/campaigns/{running_campaign.pk}/chain/", {"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    assert client.get("/api/v1/campaigns/999999/chain/").json()["error"]["code"] == "not_found"
