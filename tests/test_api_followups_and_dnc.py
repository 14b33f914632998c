"""Follow-ups and the do-not-call list through the API: a follow-up of a segment (and its
followup.ready event), do-not-call check / add / remove / bulk, audited as the token's user."""

from __future__ import annotations

from audit.models import AuditEvent
from campaigns.models import Call, Campaign, Contact, DoNotCall
from tests.api_helpers import client_for
from tests.results_fixtures import finished_campaign
from webhooks.models import WebhookEndpoint, WebhookMessage


def test_a_followup_of_a_segment(staff_user, caller, menu, monkeypatch):
    monkeypatch.setattr("webhooks.delivery.kick", lambda endpoint_ids: None)
    hook = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["followup.ready"])
    source = finished_campaign(caller, menu)
    client, _token = client_for(staff_user)
    response = client.post(
        f"/api/v1/campaigns/{source.pk}/followups/", {"name": "回访二期", "answers": ["不满意"]}, format="json"
    )
    assert response.status_code == 201, response.content
    followup = Campaign.objects.get(pk=response.json()["id"])
    assert followup.followup_of == source and followup.state == "draft"
    phones = set(Contact.objects.filter(contact_list__campaigns=followup).values_list("phone", flat=True))
    assert phones == {"13900000002", "13900000003"}
    [message] = WebhookMessage.objects.filter(endpoint=hook)
    assert message.payload["data"] == {"campaign_id": followup.pk, "followup_of": source.pk, "contacts": 2}
    assert AuditEvent.objects.get(event="followup.created").actor_kind == "api"


def test_do_not_call_check_add_remove_and_bulk(staff_user, running_campaign, contact_list):
    Call.objects.create(campaign=running_campaign, contact=contact_list.contacts.get(phone="13800130001"),
                        phone="13800130001")  # fmt: skip
    client, _token = client_for(staff_user)
    url = "/api/v1/do-not-call/"
    assert client.get(url + "13800130001/").json() == {"phone": "13800130001", "do_not_call": False, "reason": ""}
    added = client.put(url + "+86 138-0013-0001/", {"reason": "CRM: asked"}, format="json").json()
    assert added == {"phone": "13800130001", "do_not_call": True, "reason": "CRM: asked"}
    assert Contact.objects.get(phone="13800130001").do_not_call
    assert Call.objects.get(phone="13800130001").status == "dnc"  # never dialled now
    assert client.delete(url + "13800130001/").json()["do_not_call"] is False
    assert not Contact.objects.get(phone="13800130001").do_not_call

    bulk = client.post(url, {"add": ["13800130002", "13800130003", "12"], "remove": ["13800130002"]}, format="json")
    body = bulk.json()
    assert (body["added"], body["removed"]) == (2, 1)
    assert [r["phone"] for r in body["rejected"]] == ["12"]
    assert set(DoNotCall.objects.values_list("phone", flat=True)) == {"13800130003"}
    assert client.get(url + "not-a-number/").status_code == 400
    events = AuditEvent.objects.filter(event__startswith="donotcall.")
    assert {(e.event, e.actor_kind) for e in events} == {("donotcall.added", "api"), ("donotcall.removed", "api")}
