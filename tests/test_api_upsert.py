"""Upserting contacts through the API: the file import's normalisation, merge rules, reasons
and do-not-call marking; keyed by phone or external id; an Idempotency-Key makes a retry a
no-op that answers the same; audited as the token's user; at most 10,000 per request."""

from __future__ import annotations

from audit.models import AuditEvent
from campaigns.models import Contact, DoNotCall
from tests.api_helpers import client_for


def upsert(client, contact_list, contacts, **headers):
    return client.post(f"/api/v1/lists/{contact_list.pk}/contacts/", {"contacts": contacts}, format="json", **headers)


def test_upsert_normalises_merges_and_rejects_per_item_like_the_file_import(staff_user, contact_list):
    DoNotCall.objects.create(phone="13900000002")
    client, _token = client_for(staff_user)
    response = upsert(
        client,
        contact_list,
        [
            {"phone": "+86 139-0000-0001", "name": "李四", "variables": {"product": "电视"}, "external_id": "crm-1"},
            {"phone": "13900000002", "call_after": "18:00"},
            {"phone": "12345"},
            {"phone": "13800130000", "variables": {"product": "宽带"}},  # as the list has it (plus call hours)
            {"phone": "13800130001", "name": "新名字"},
        ],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # Like a file with a call_after column: every contact of the batch gets the (blank) variable.
    assert (body["created"], body["updated"], body["skipped"]) == (2, 2, 0)
    assert body["rejected"] == [{"index": 2, "code": "phone.too_short", "reason": body["rejected"][0]["reason"]}]
    assert "12345" in body["rejected"][0]["reason"]
    new = Contact.objects.get(contact_list=contact_list, phone="13900000001")
    assert (new.name, new.variables["product"], new.external_id) == ("李四", "电视", "crm-1")
    assert Contact.objects.get(contact_list=contact_list, phone="13900000002").do_not_call
    assert Contact.objects.get(contact_list=contact_list, phone="13900000002").variables["call_after"] == "18:00"
    merged = Contact.objects.get(contact_list=contact_list, phone="13800130001")
    assert (merged.name, merged.variables["product"]) == ("新名字", "宽带")  # a blank cell keeps the value
    audit = AuditEvent.objects.get(event="contacts.upserted")
    assert (audit.actor_kind, audit.actor_user_id, audit.rows) == ("api", staff_user.pk, 4)
    same = upsert(client, contact_list, [{"phone": "13800130000", "variables": {"product": "宽带"}}]).json()
    assert (same["created"], same["updated"], same["skipped"]) == (0, 0, 1)


def test_an_item_keyed_by_external_id_updates_that_contact(staff_user, contact_list):
    client, _token = client_for(staff_user)
    upsert(client, contact_list, [{"phone": "13900000009", "external_id": "crm-9", "name": "旧"}])
    response = upsert(
        client, contact_list, [{"external_id": "crm-9", "name": "新"}, {"external_id": "nobody", "name": "x"}]
    )
    body = response.json()
    assert body["updated"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "contact.unknown_external_id")]
    assert Contact.objects.get(contact_list=contact_list, external_id="crm-9").name == "新"
    taken = upsert(client, contact_list, [{"phone": "13900000008", "external_id": "crm-9"}]).json()
    assert [r["code"] for r in taken["rejected"]] == ["contact.external_id_taken"]
    twice = [{"phone": "13900000006", "external_id": "crm-6"}, {"phone": "13900000007", "external_id": "crm-6"}]
    body = upsert(client, contact_list, twice).json()
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "contact.external_id_taken")]
    assert Contact.objects.get(contact_list=contact_list, external_id="crm-6").phone == "13900000006"


def test_a_retry_with_the_same_idempotency_key_changes_nothing_and_answers_the_same(staff_user, contact_list):
    client, _token = client_for(staff_user)
    items = [{"phone": "13900000011", "name": "一"}]
    first = upsert(client, contact_list, items, HTTP_IDEMPOTENCY_KEY="batch-1")
    Contact.objects.filter(phone="13900000011").update(name="changed meanwhile")
    again = upsert(client, contact_list, items, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() and first.json()["created"] == 1
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.get(phone="13900000011").name == "changed meanwhile"  # not written again
    assert AuditEvent.objects.filter(event="contacts.upserted").count() == 1
    other_path = client.post("/api/v1/lists/", {"name": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert other_path.status_code == 422


def test_more_than_the_batch_limit_is_refused_whole(staff_user, contact_list, settings):
    settings.API_UPSERT_MAX_ITEMS = 3
    client, _token = client_for(staff_user)
    response = upsert(client, contact_list, [{"phone": f"1390000002{n}"} for n in range(4)])
    assert response.status_code == 400
    assert "contacts" in response.json()["error"]["details"]
    assert not Contact.objects.filter(phone__startswith="139000000").exists()


def test_upsert_needs_the_contact_permissions(django_user_model, contact_list):
    from tests.api_helpers import user_with

    viewer = user_with(django_user_model, "viewer", "campaigns.view_contactlist")
    client, _token = client_for(viewer)
    assert client.get(f"/api/v1/lists/{contact_list.pk}/").json()["contacts"] == 5
    response = upsert(client, contact_list, [{"phone": "13900000031"}])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_malformed_item_is_rejected_alone(staff_user, contact_list):
    client, _token = client_for(staff_user)
    body = upsert(
        client,
        contact_list,
        [{"phone": "13900000041"}, {"phone": ["13900000042"]}, "13900000043", {"name": "no number"}],
    ).json()
    assert body["created"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (1, "contact.bad_item"), (2, "contact.bad_item"), (3, "contact.bad_item"),
    ]  # fmt: skip


def test_an_idempotency_key_is_forgotten_after_its_period(staff_user, contact_list, settings):
    """The stored answer can quote what was sent: it is deleted after API_IDEMPOTENCY_HOURS, by
    the hourly housekeeping or by the next request with the key, and a retry then runs again."""
    import datetime as dt

    from django.utils import timezone

    from api.models import IdempotentResponse
    from ivrsite import housekeeping

    settings.API_IDEMPOTENCY_HOURS = 24
    client, _token = client_for(staff_user)
    items = [{"phone": "13900000041", "name": "一"}]
    upsert(client, contact_list, items, HTTP_IDEMPOTENCY_KEY="batch-old")
    upsert(client, contact_list, items, HTTP_IDEMPOTENCY_KEY="batch-new")
    IdempotentResponse.objects.filter(key="batch-old").update(created_at=timezone.now() - dt.timedelta(hours=25))

    housekeeping.run()
    assert list(IdempotentResponse.objects.values_list("key", flat=True)) == ["batch-new"]

    IdempotentResponse.objects.filter(key="batch-new").update(created_at=timezone.now() - dt.timedelta(hours=25))
    Contact.objects.filter(phone="13900000041").update(name="changed meanwhile")
    again = upsert(client, contact_list, [{"phone": "13900000041", "name": "二"}], HTTP_IDEMPOTENCY_KEY="batch-new")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again
    assert Contact.objects.get(phone="13900000041").name == "二"  # ran again
    assert IdempotentResponse.objects.filter(key="batch-new").count() == 1
