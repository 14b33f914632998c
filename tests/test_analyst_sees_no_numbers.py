"""Issue 22's first "done when": staff without "See full phone numbers" — an Analyst, or a user
with every view permission — walk every admin changelist and change page, the dashboard and its
data, the cross-tab CSV and every export they may try, and find no full mobile number anywhere;
per-person exports are refused with a message that says why."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse

from campaigns.models import Contact, DoNotCall, ImportJob
from campaigns.privacy import mask_phone, may_see_numbers
from receipts.models import Receipt, RejectedPush
from results import crosstab
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SECOND_NUMBER = "13700001111"  # a contact variable that is a number: cross-tabs and variables


@pytest.fixture
def personal_data(staff_client, caller, menu):
    variables = {phone: {"product": "宽带", "other_phone": SECOND_NUMBER} for phone in ["13900000001"]}
    campaign = finished_campaign(caller, menu, variables=variables)
    call = campaign.calls.get(phone="13900000001", attempt=1)
    Receipt.objects.create(
        kind=Receipt.Kind.CALL_RECORD,
        raw={"call_id": "c1^1", "out_id": "o1", "callee": "13900000001", "status_code": "200000"},
        dedupe_key="c1^1|200000|x",
        matched_call=call,
        call_id="c1^1",
    )
    RejectedPush.objects.create(reason=RejectedPush.Reason.NOT_JSON, body='[{"callee": "13900000002"', size=30)
    ImportJob.objects.create(
        contact_list=campaign.contact_lists.get(),
        rejected=[{"row": 2, "reason": "13900000099x is not a phone number"}],
        rejected_count=1,
    )
    # An admin form names the number in the audit trail (changes) and in Django's admin log.
    staff_client.post(reverse("admin:campaigns_donotcall_add"), {"phone": "13900000003", "reason": "asked"})
    assert DoNotCall.objects.filter(phone="13900000003").exists()
    crosstab.refresh(campaign, "other_phone")
    return campaign


def analyst(django_user_model) -> Client:
    user = django_user_model.objects.create_user("analyst", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    return _client(user)


def every_view_permission(django_user_model) -> Client:
    user = django_user_model.objects.create_user("looker", password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return _client(user)


def _client(user) -> Client:
    assert not may_see_numbers(user)
    client = Client()
    client.force_login(user)
    return client


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8", "replace")


def admin_pages(client: Client) -> dict[str, object]:
    """Every registered model's changelist and first change page the user may open."""
    pages = {}
    for model in admin.site._registry:
        if not model._meta.managed:
            continue  # django-rq's queue pages (superusers only): no table
        info = (model._meta.app_label, model._meta.model_name)
        try:
            url = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        pages[url] = client.get(url)
        first = model.objects.first()
        if first is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[first.pk])
            pages[change] = client.get(change)
    return pages


@pytest.mark.parametrize("make_client", [analyst, every_view_permission])
def test_staff_without_the_permission_find_no_full_number(django_user_model, personal_data, make_client):
    client = make_client(django_user_model)
    campaign = personal_data
    pages = admin_pages(client)
    pages["/admin/"] = client.get("/admin/")
    pages["dashboard"] = client.get(reverse("results:dashboard", args=[campaign.pk]) + "?by=other_phone")
    pages["data"] = client.get(reverse("results:dashboard-data", args=[campaign.pk]) + "?by=other_phone")
    pages["crosstab"] = client.get(reverse("results:crosstab-export", args=[campaign.pk]) + "?by=other_phone")
    pages["audit csv"] = client.get(reverse("admin:audit_auditevent_export"))
    refused = {
        "results": reverse("results:export", args=[campaign.pk, "csv"]),
        "segment": reverse("results:segment-export", args=[campaign.pk, "csv"]) + "?segment=answer:1",
        "chain": reverse("results:chain-export", args=[campaign.pk, "csv"]),
        "list": reverse("admin:campaigns_contactlist_export", args=[campaign.contact_lists.get().pk, "csv"]),
    }
    for name, url in refused.items():
        pages[name] = response = client.get(url)
        assert response.status_code == 403, name
        assert "See full phone numbers" in body(response), name
        pages[name] = client.get(url)  # read again below

    texts = {url: body(response) for url, response in pages.items()}
    opened = {url for url, response in pages.items() if response.status_code == 200}
    assert {"dashboard", "data", "crosstab", reverse("admin:campaigns_contact_changelist")} <= opened
    for url, text in texts.items():
        found = MOBILE.findall(text)
        assert not found, f"{url} shows {found}"
    # The masked forms are there: the pages were not merely empty.
    # The cross-tab pools values of fewer than 5 contacts into "other" for who may not export
    # results: the one contact with a second number is not even shown masked.
    assert "Other (1 value)" in texts["crosstab"] and mask_phone(SECOND_NUMBER) not in texts["crosstab"]
    assert mask_phone("13900000001") in texts[reverse("admin:campaigns_contact_changelist")]


def test_a_campaign_manager_sees_numbers_in_full(django_user_model, personal_data):
    user = django_user_model.objects.create_user("manager", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="Campaign manager"))
    client = Client()
    client.force_login(user)
    contact = Contact.objects.get(phone="13900000001")
    page = client.get(reverse("admin:campaigns_contact_change", args=[contact.pk]))
    assert "13900000001" in page.content.decode()
    export = client.get(reverse("results:export", args=[personal_data.pk, "csv"]))
    assert export.status_code == 200 and "13900000001" in body(export)


def test_the_demo_login_is_a_campaign_manager_not_a_superuser(db):
    from campaigns.demo import demo_login

    user = demo_login("a-password-for-the-test")
    assert not user.is_superuser and user.is_staff
    assert may_see_numbers(user)
    assert list(user.groups.values_list("name", flat=True)) == ["Campaign manager"]
