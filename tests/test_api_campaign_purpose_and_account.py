"""Creating a campaign through the API takes its purpose and either caller numbers or an Aliyun
account (its active caller numbers); numbers given with an account are created under it, and a
number of another account is refused in the request's language. Contacts upserted through the
API carry their consent (`consent_source`, `consent_time`), which a marketing campaign needs."""

from __future__ import annotations

import pytest

from campaigns.accounts import VoiceAccount
from campaigns.consent import consented
from campaigns.models import CallerNumber, Campaign, Contact
from tests.api_helpers import client_for


@pytest.fixture
def account(db) -> VoiceAccount:
    stored = VoiceAccount(name="华北", access_key_id="LTAI5tExampleKeyId", endpoint="https://dyvmsapi.aliyuncs.com/")
    stored.set_secret("s")
    stored.save()
    return stored


def body(contact_list, menu, **extra) -> dict:
    return {"name": "API campaign", "contact_lists": [contact_list.pk], "menu": menu.name, **extra}


def test_an_account_gives_the_campaign_its_active_caller_numbers(staff_user, contact_list, menu, account):
    CallerNumber.objects.create(number="01088880001", account=account)
    CallerNumber.objects.create(number="01088880002", account=account, active=False)
    CallerNumber.objects.create(number="057112345678")  # the environment's account
    client, _token = client_for(staff_user)
    created = client.post(
        "/api/v1/campaigns/", body(contact_list, menu, account="华北", purpose="marketing"), format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["purpose"] == "marketing"
    campaign = Campaign.objects.get(pk=created.json()["id"])
    assert campaign.purpose == "marketing"
    assert list(campaign.caller_numbers.values_list("number", flat=True)) == ["01088880001"]


def test_numbers_given_with_an_account_are_created_under_it(staff_user, contact_list, menu, account):
    client, _token = client_for(staff_user)
    created = client.post(
        "/api/v1/campaigns/", body(contact_list, menu, account="华北", caller_numbers=["01088880009"]), format="json"
    )
    assert created.status_code == 201, created.content
    assert CallerNumber.objects.get(number="01088880009").account == account
    assert Campaign.objects.get(pk=created.json()["id"]).purpose == "survey"  # the default


def test_a_number_of_another_account_is_refused_in_the_requests_language(staff_user, contact_list, menu, account):
    CallerNumber.objects.create(number="057112345678")
    client, _token = client_for(staff_user, HTTP_ACCEPT_LANGUAGE="zh-hans")
    refused = client.post(
        "/api/v1/campaigns/", body(contact_list, menu, account="华北", caller_numbers=["057112345678"]), format="json"
    )
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"]["caller_numbers"] == ["属于其他账号：057112345678。"]
    assert not Campaign.objects.exists()


def test_neither_numbers_nor_account_nor_an_account_without_numbers(staff_user, contact_list, menu, account):
    client, _token = client_for(staff_user)
    neither = client.post("/api/v1/campaigns/", body(contact_list, menu), format="json")
    assert neither.status_code == 400 and "caller_numbers" in neither.json()["error"]["details"]
    empty = client.post("/api/v1/campaigns/", body(contact_list, menu, account="华北"), format="json")
    assert empty.status_code == 400
    assert empty.json()["error"]["details"]["account"] == ["This account has no active caller numbers."]
    unknown = client.post("/api/v1/campaigns/", body(contact_list, menu, account="nowhere"), format="json")
    assert unknown.status_code == 400 and "account" in unknown.json()["error"]["details"]
    bad_purpose = client.post(
        "/api/v1/campaigns/", body(contact_list, menu, caller_numbers=["057112345678"], purpose="spam"), format="json"
    )
    assert bad_purpose.status_code == 400 and "purpose" in bad_purpose.json()["error"]["details"]


def test_upserted_contacts_carry_their_consent(staff_user, contact_list):
    client, _token = client_for(staff_user)
    response = client.post(
        f"/api/v1/lists/{contact_list.pk}/contacts/",
        {
            "contacts": [
                {"phone": "13900000001", "consent_source": "web form", "consent_time": "2026-11-30 10:00"},
                {"phone": "13900000002"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    contact = Contact.objects.get(phone="13900000001")
    assert contact.variables["consent_source"] == "web form"
    assert contact.variables["consent_time"] == "2026-11-30 10:00"
    consenting = Contact.objects.filter(contact_list=contact_list).filter(consented())
    assert list(consenting.values_list("phone", flat=True)) == ["13900000001"]
