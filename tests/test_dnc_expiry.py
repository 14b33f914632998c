"""A do-not-call entry may carry an expiry: past it the number is called again (enrolment, the
forecast's count, imports), housekeeping removes it with an audit event and clears its contacts'
flag; an opt-out replaces an expired entry. The list filters by campaign, source and expiry, and
its CSV import and export carry the expiry."""

import datetime as dt
import html
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from campaigns.actions import campaigns as campaign_actions
from campaigns.do_not_call import release_expired
from campaigns.models import Call, Contact, DoNotCall
from tests.actors import OPERATOR
from tests.test_reference_tables_import_export import confirm, export, preview

pytestmark = pytest.mark.django_db
PAST = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def block(phone, expires_at=None, **fields):
    Contact.objects.filter(phone=phone).update(do_not_call=True)
    return DoNotCall.objects.create(phone=phone, expires_at=expires_at, **fields)


def test_an_expired_entry_no_longer_blocks_calls_at_start(campaign):
    block("13800130000", expires_at=PAST)
    block("13800130001", expires_at=FUTURE)
    block("13800130002")
    campaign_actions.do_start_campaign(campaign, actor=OPERATOR)

    statuses = dict(Call.objects.filter(campaign=campaign).values_list("phone", "status"))
    assert statuses["13800130000"] == Call.Status.QUEUED  # expired: called again
    assert statuses["13800130001"] == Call.Status.DNC
    assert statuses["13800130002"] == Call.Status.DNC
    assert not DoNotCall.objects.filter(phone="13800130000").exists()
    event = AuditEvent.objects.get(event="donotcall.expired")
    assert event.actor_kind == "system" and event.object_repr == "138****0000"


def test_housekeeping_removes_expired_entries_and_clears_the_flag(contact_list):
    block("13800130000", expires_at=PAST)
    block("13800130001", expires_at=FUTURE)
    assert release_expired(timezone.now()) == 1
    assert not Contact.objects.get(phone="13800130000").do_not_call
    assert Contact.objects.get(phone="13800130001").do_not_call


def test_a_draft_counts_an_expired_number_as_one_to_call(staff_client, campaign):
    block("13800130000", expires_at=PAST)
    block("13800130001", expires_at=FUTURE)
    page = html.unescape(
        staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    )
    assert f'data-campaign="{campaign.pk}" data-figure="contacts">4</dd>' in page


def test_an_import_does_not_flag_a_number_whose_entry_expired(staff_client, contact_list):
    from campaigns.contacts.importing import import_contacts

    DoNotCall.objects.create(phone="13900000001", expires_at=PAST)
    DoNotCall.objects.create(phone="13900000002", expires_at=FUTURE)
    import_contacts(contact_list, io.BytesIO("phone,name\n13900000001,甲\n13900000002,乙\n".encode()), "a.csv")
    flags = dict(Contact.objects.filter(phone__startswith="139").values_list("phone", "do_not_call"))
    assert flags == {"13900000001": False, "13900000002": True}


def test_an_opt_out_replaces_an_expired_entry(running_campaign, placed_calls, post_receipts, menu):
    from campaigns.opt_out import opt_out

    call = placed_calls[0]
    DoNotCall.objects.create(phone=call.phone, expires_at=PAST, reason={"text": "old"})
    menu.options.filter(key="3").update(opt_out=True)
    running_campaign.menu_snapshot = menu.snapshot()
    running_campaign.save()
    Call.objects.filter(pk=call.pk).update(answer_key="3", dtmf="3", status=Call.Status.ANSWERED)
    opt_out([Call.objects.select_related("campaign").get(pk=call.pk)])
    entry = DoNotCall.objects.get(phone=call.phone)
    assert entry.expires_at is None and entry.source == DoNotCall.Source.OPT_OUT


def test_staff_add_a_number_until_a_date_and_filter_the_list(staff_client, running_campaign):
    add = reverse("admin:campaigns_donotcall_add")
    response = staff_client.post(
        add,
        {
            "phone": "139 0000 0007",
            "typed_reason": "一个月内勿扰",
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = DoNotCall.objects.get(phone="13900000007")
    assert entry.source == DoNotCall.Source.STAFF and entry.expires_at is not None
    block("13800130000", campaign=running_campaign, source=DoNotCall.Source.OPT_OUT)

    changelist = reverse("admin:campaigns_donotcall_changelist")
    by_campaign = staff_client.get(changelist + f"?campaign__id__exact={running_campaign.pk}").content.decode()
    assert "13800130000" in by_campaign and "13900000007" not in by_campaign
    by_source = staff_client.get(changelist + "?source__exact=staff").content.decode()
    assert "13900000007" in by_source and "13800130000" not in by_source
    later = staff_client.get(changelist + "?expiry=later").content.decode()
    assert "13900000007" in later and "13800130000" not in later


def test_staff_re_add_a_number_whose_entry_expired(staff_client):
    DoNotCall.objects.create(phone="13900000008", expires_at=PAST, reason={"text": "old"})
    response = staff_client.post(
        reverse("admin:campaigns_donotcall_add"), {"phone": "13900000008", "typed_reason": "再次"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = DoNotCall.objects.get(phone="13900000008")
    assert entry.expires_at is None and entry.reason == {"text": "再次"}


def test_the_csv_import_and_export_carry_the_expiry(staff_client, running_campaign):
    DoNotCall.objects.create(phone="13900000003", expires_at=PAST, reason={"text": "old"})
    rows = (
        "phone,reason,expires\n13900000001,限期,2099-06-01 08:00:00\n13900000002,永久,\n"
        "13900000003,再次,2099-01-01 00:00:00\n"
    )
    page = preview(staff_client, "donotcall", rows).content.decode()
    assert confirm(staff_client, "donotcall", page).status_code == 302

    first = DoNotCall.objects.get(phone="13900000001")
    assert first.expires_at is not None and first.expires_at.year == 2099 and first.source == DoNotCall.Source.IMPORT
    assert DoNotCall.objects.get(phone="13900000002").expires_at is None
    replaced = DoNotCall.objects.get(phone="13900000003")  # it had expired: the file's row replaces it
    assert (
        replaced.reason == {"text": "再次"} and timezone.localtime(replaced.expires_at).year == 2099
    )  # read in the operator's zone

    DoNotCall.objects.create(phone="13900000004", campaign=running_campaign, source=DoNotCall.Source.OPT_OUT)
    status, body = export(staff_client, "donotcall")
    assert status == 200
    assert body.splitlines()[0] == "phone,reason,expires,added,source,campaign"
    line = next(line for line in body.splitlines() if line.startswith("13900000001"))
    assert "2099-06-01" in line and "imported from a file" in line
    opted = next(line for line in body.splitlines() if line.startswith("13900000004"))
    assert opted.endswith(f"opted out with a key,{running_campaign.name}")


def test_the_api_check_says_an_expired_number_may_be_called(django_user_model):
    from tests.api_helpers import client_for, user_with

    DoNotCall.objects.create(phone="13900000005", expires_at=PAST)
    DoNotCall.objects.create(phone="13900000006", expires_at=FUTURE)
    api, _token = client_for(user_with(django_user_model, "api-user", "campaigns.view_donotcall"))
    assert api.get("/api/v1/do-not-call/13900000005/").json()["do_not_call"] is False
    assert api.get("/api/v1/do-not-call/13900000006/").json()["do_not_call"] is True
