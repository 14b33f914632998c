"""Results per contact through the API: each contact's latest settled call, cursor-paginated
and filtered by updated_since, segment and list. An analyst's token (no view_contact) gets
the numbers masked and no names or variables; without view_call it reads no results at all."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Call, Contact
from tests.api_helpers import client_for, user_with

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


def settle(campaign, statuses):
    contacts = list(Contact.objects.filter(contact_list__campaigns=campaign).order_by("phone"))
    for n, (contact, (status, label)) in enumerate(zip(contacts, statuses, strict=False)):
        Call.objects.create(
            campaign=campaign, contact=contact, phone=contact.phone, status=status,
            answer_label=label, answer_key="1" if label else "", settled_at=T0 + dt.timedelta(minutes=n),
        )  # fmt: skip


def test_results_page_by_cursor_and_filter(staff_user, running_campaign):
    settle(running_campaign, [("answered", "满意"), ("no_answer", ""), ("answered", "一般"), ("busy", "")])
    client, _token = client_for(staff_user)
    url = f"/api/v1/campaigns/{running_campaign.pk}/results/"
    first = client.get(url, {"limit": 3}).json()
    assert [r["phone"] for r in first["results"]] == ["13800130000", "13800130001", "13800130002"]
    rest = client.get(url, {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [r["phone"] for r in rest["results"]] == ["13800130003"] and rest["next_cursor"] is None
    since = client.get(url, {"updated_since": (T0 + dt.timedelta(minutes=2)).isoformat()}).json()
    assert [r["phone"] for r in since["results"]] == ["13800130002", "13800130003"]
    answered = client.get(url, {"segment": "answer:满意"}).json()
    assert [(r["phone"], r["answer_label"], r["name"]) for r in answered["results"]] == [
        ("13800130000", "满意", "张三0")
    ]
    bad = client.get(url, {"segment": "colour:red"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_an_analysts_token_gets_masked_numbers_and_no_names(django_user_model, running_campaign):
    settle(running_campaign, [("answered", "满意")])
    analyst = user_with(django_user_model, "analyst", "campaigns.view_campaign", "campaigns.view_call")
    client, _token = client_for(analyst)
    body = client.get(f"/api/v1/campaigns/{running_campaign.pk}/results/").json()
    [row] = body["results"]
    assert row["phone"] == "138****0000"
    assert row["name"] is None and row["variables"] is None
    assert "13800130000" not in str(body)
    assert client.get(f"/api/v1/campaigns/{running_campaign.pk}/aggregates/").status_code == 200


def test_without_view_call_no_results_at_all(django_user_model, running_campaign):
    viewer = user_with(django_user_model, "viewer", "campaigns.view_campaign")
    client, _token = client_for(viewer)
    assert client.get(f"/api/v1/campaigns/{running_campaign.pk}/results/").status_code == 403
    assert client.get(f"/api/v1/campaigns/{running_campaign.pk}/aggregates/").status_code == 200
