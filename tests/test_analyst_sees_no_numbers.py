"""Issue 22's first "done when": staff without "See full phone numbers" — an Analyst, a user
with every view permission, or one who may also start campaigns, build follow-ups and import —
walk every admin changelist and change page, the Start page, progress, segments, the follow-up
form, an import's preview, Best hours, the wallboard, test calls, the dashboard and its data, the
cross-tab CSV, the REST API with their own token and every export they may try, and find no full
mobile number anywhere, nor in any log line written meanwhile; per-person exports are refused
with a message that says why."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.urls import NoReverseMatch, reverse

from campaigns import webhook_events
from campaigns.models import Call, Campaign, Contact, DoNotCall, ImportJob, MenuOption, TestCall
from campaigns.privacy import mask_phone, may_see_numbers
from ivrsite.logging import MaskingFilter
from receipts.models import Receipt, RejectedPush
from results import crosstab
from tests.api_helpers import client_for
from tests.results_fixtures import finished_campaign
from webhooks.models import WebhookEndpoint

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
    campaign.calls.update(settled_at=F("sent_at"))  # the API's results list settled calls
    # A webhook message (number and variables in its payload), a test call, a draft over the list.
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", events=["call.settled"])
    webhook_events.calls_settled(list(Call.objects.filter(campaign=campaign, phone="13900000001")))
    TestCall.objects.create(phone="13900000004", menu=menu, caller_number=caller)
    MenuOption.objects.create(template=menu, key="9", label="退订", opt_out=True, position=9)
    Contact.objects.filter(phone="13900000005").update(variables={"product": "宽带", "consent_source": "官网"})
    draft = Campaign.objects.create(name="营销草稿", menu=menu, purpose=Campaign.Purpose.MARKETING)
    draft.contact_lists.add(campaign.contact_lists.get())
    draft.caller_numbers.add(caller)
    return campaign


def analyst(django_user_model) -> Client:
    user = django_user_model.objects.create_user("analyst", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    return _client(user)


def every_view_permission(django_user_model) -> Client:
    user = django_user_model.objects.create_user("looker", password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return _client(user)


def starter_and_importer(django_user_model) -> Client:
    """Every view permission, and may start campaigns, build follow-ups and import contacts."""
    user = django_user_model.objects.create_user("doer", password="x" * 12, is_staff=True)
    doing = ["change_campaign", "add_campaign", "add_contactlist", "change_contactlist", "add_contact"]
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_") | Permission.objects.filter(
        content_type__app_label="campaigns", codename__in=doing
    ))  # fmt: skip
    return _client(user)


def _client(user) -> Client:
    assert not may_see_numbers(user)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def written_log():
    """What the app's log handlers write (through their masking filter), DEBUG and up, meanwhile."""
    stream = io.StringIO()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    handlers = {h for lg in loggers for h in lg.handlers if any(isinstance(f, MaskingFilter) for f in h.filters)}
    assert handlers, "the app's masking log handler is not installed"
    saved = [(h, h.setStream(stream), h.level) for h in handlers]
    for handler in handlers:
        handler.setLevel(logging.DEBUG)
    root_level = logging.root.level
    logging.root.setLevel(logging.DEBUG)
    yield stream
    logging.root.setLevel(root_level)
    for handler, old_stream, level in saved:
        handler.setStream(old_stream)
        handler.setLevel(level)


def other_pages(client: Client, campaign) -> dict[str, object]:
    """Pages beyond the changelists: whatever the user may open (a 403 is scanned all the same)."""
    contact_list = campaign.contact_lists.get()
    draft = Campaign.objects.get(name="营销草稿")
    segment = "?segment=answer:3"
    pages = {
        "start": client.get(reverse("admin:campaigns_campaign_transition", args=[draft.pk, "start"])),
        "progress": client.get(reverse("admin:campaigns_campaign_progress") + f"?ids={campaign.pk},{draft.pk}"),
        "segments": client.get(reverse("results:dashboard", args=[campaign.pk]) + segment),
        "segments data": client.get(reverse("results:dashboard-data", args=[campaign.pk]) + segment),
        "segment action": client.get(reverse("results:segment-action", args=[campaign.pk]) + segment, follow=True),
        "follow-up": client.get(reverse("admin:campaigns_campaign_followup", args=[campaign.pk]) + segment),
        "best hours": client.get(reverse("admin-best-hours")),
        "wallboard": client.get(reverse("results:wallboard")),
        "wallboard data": client.get(reverse("results:wallboard-data")),
        "test call": client.get(reverse("admin:campaigns_testcall_place")),
        "test call live": client.get(reverse("admin:campaigns_testcall_live", args=[TestCall.objects.get().pk])),
    }
    upload = SimpleUploadedFile(
        "名单.csv", "手机号,姓名,推荐人\n13900000001,客户01,13700002222\n13900000098,新客户,\nabc,坏行,\n".encode(),
        content_type="text/csv",
    )  # fmt: skip
    pages["import preview"] = client.post(
        reverse("admin:campaigns_contactlist_import", args=[contact_list.pk]), {"file": upload}
    )
    pages["import rejected"] = client.get(
        reverse("admin:campaigns_contactlist_import_rejected", args=[contact_list.pk, ImportJob.objects.get().pk])
    )
    api, _token = client_for(client.user)
    for path in (
        "campaigns/", f"campaigns/{campaign.pk}/", f"campaigns/{draft.pk}/", f"campaigns/{campaign.pk}/results/",
        f"campaigns/{campaign.pk}/aggregates/", f"campaigns/{campaign.pk}/chain/", "lists/",
        f"lists/{contact_list.pk}/", "webhooks/",
    ):  # fmt: skip
        pages[f"api {path}"] = api.get(f"/api/v1/{path}")
    return pages


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


@pytest.mark.parametrize("make_client", [analyst, every_view_permission, starter_and_importer])
def test_staff_without_the_permission_find_no_full_number(
    django_user_model, personal_data, make_client, written_log, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = make_client(django_user_model)
    campaign = personal_data
    pages = admin_pages(client)
    pages.update(other_pages(client, campaign))
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
    # Each user opened the pages its permissions give (the walk did reach them).
    api_results = f"api campaigns/{campaign.pk}/results/"
    assert {"progress", "segments", "segments data", "best hours", "wallboard", "api campaigns/", api_results} <= opened
    if make_client is starter_and_importer:
        assert {"start", "follow-up", "import preview", "test call live"} <= opened
        assert "will be called" in texts["start"] and "新客户" in texts["import preview"]
    log = written_log.getvalue()
    assert log.strip(), "no log line was written: the capture is not working"
    assert not MOBILE.findall(log), MOBILE.findall(log)
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
