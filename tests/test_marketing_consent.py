"""Issue 22's fourth "done when": a marketing campaign over a list where half the contacts lack
consent dials only the other half (what the dispatch path sends to Aliyun), and its Start page
said so beforehand, as do `campaign start`, `campaign status` and the API's status; its menu must
offer an opt-out key, and its first message must name it where its text can be read. Consent
comes from the contact file's columns (Chinese titles too)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, ContactList, MenuOption, MenuTemplate, ScriptVariant, TtsTemplate
from tests.api_helpers import client_for, user_with
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db

FILE = (
    "手机号,姓名,product,同意来源,同意时间\n"
    "13800000001,甲,宽带,官网表单,2026-10-01 10:00\n"
    "13800000002,乙,宽带,,\n"
    "13800000003,丙,宽带,营业厅纸质授权,\n"
    "13800000004,丁,宽带,,\n"
)


@pytest.fixture
def marketing(tmp_path, caller, menu) -> Campaign:
    path = tmp_path / "营销名单.csv"
    path.write_text(FILE, encoding="utf-8")
    call_command("import_contacts", "营销名单", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "campaign", "create", "宽带推广", "--list", "营销名单", "--caller", caller.number, "--menu", menu.name,
        "--purpose", "marketing", "--window", "00:00-00:00", stdout=out,
    )  # fmt: skip
    return Campaign.objects.get(pk=int(out.getvalue().split()[-1]))


def test_consent_columns_are_kept_per_contact(marketing):
    contacts = ContactList.objects.get(name="营销名单").contacts
    first = contacts.get(phone="13800000001")
    assert first.variables["consent_source"] == "官网表单" and first.variables["consent_time"] == "2026-10-01 10:00"
    assert marketing.purpose == Campaign.Purpose.MARKETING


def test_a_marketing_menu_needs_an_opt_out_key(marketing, staff_client):
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    assert "opt-out key" in staff_client.get(start).content.decode()
    staff_client.post(start)
    marketing.refresh_from_db()
    assert marketing.state == Campaign.State.DRAFT


def opt_out(menu) -> None:
    MenuOption.objects.create(template=menu, key="9", label="退订", opt_out=True, position=9)


def test_only_contacts_with_consent_are_dialled_and_the_start_page_says_so(marketing, menu, staff_client, redis_conn):
    opt_out(menu)
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    page = staff_client.get(start).content.decode()
    assert "2 numbers have recorded consent and will be called; 2 without consent will be skipped" in page
    staff_client.post(start)
    marketing.refresh_from_db()
    assert marketing.state == Campaign.State.RUNNING
    assert sorted(Call.objects.filter(campaign=marketing).values_list("phone", flat=True)) == [
        "13800000001",
        "13800000003",
    ]
    client = RecordingClient()
    dispatch.dial_campaign(marketing.pk, max_seconds=10, client=client)
    assert sorted(client.dialled()) == ["13800000001", "13800000003"]  # what Aliyun was asked to dial


def test_the_command_line_and_the_api_report_the_skipped(marketing, menu, django_user_model):
    opt_out(menu)
    out = io.StringIO()
    call_command("campaign", "status", str(marketing.pk), stdout=out)
    assert "2 numbers have recorded consent and will be called; 2 without consent will be skipped" in out.getvalue()

    out = io.StringIO()
    call_command("campaign", "start", str(marketing.pk), stdout=out, stderr=io.StringIO())
    assert "2 contacts enrolled" in out.getvalue()
    assert "2 numbers with recorded consent are called; 2 without consent are skipped" in out.getvalue()

    out = io.StringIO()
    call_command("campaign", "status", str(marketing.pk), stdout=out)
    assert "consent    Marketing: 2 numbers with recorded consent are called; 2 without" in out.getvalue()
    out = io.StringIO()
    call_command("campaign", "status", str(marketing.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["consent"] == {"with": 2, "without": 2}

    api, _token = client_for(user_with(django_user_model, "crm", "campaigns.view_campaign"))
    assert api.get(f"/api/v1/campaigns/{marketing.pk}/").json()["consent"] == {"with": 2, "without": 2}
    Campaign.objects.filter(pk=marketing.pk).update(purpose=Campaign.Purpose.SURVEY)
    assert api.get(f"/api/v1/campaigns/{marketing.pk}/").json()["consent"] is None


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("您好${name}，${product}限时优惠，回复请按1。", True),  # no word of opting out: refused
        ("您好${name}，${product}限时优惠。不想再接到此类电话请按9。", False),
        ("您好${name}，${product}限时优惠，退订请按九。", False),
        ("您好${name}，2019年的${product}优惠。", True),  # a 9 inside a number is not the key
    ],
)
def test_the_first_message_must_name_the_opt_out_key(marketing, menu, staff_client, text, refused):
    opt_out(menu)
    TtsTemplate.objects.create(code=menu.start_code, text=text, status=TtsTemplate.Status.APPROVED)
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    page = staff_client.get(start).content.decode()
    assert ("does not name the opt-out key 9" in page) is refused
    staff_client.post(start)
    marketing.refresh_from_db()
    assert marketing.state == (Campaign.State.DRAFT if refused else Campaign.State.RUNNING)


def test_a_first_message_that_cannot_be_read_is_a_warning(marketing, menu, staff_client):
    opt_out(menu)  # menu.start_code is in no registry: its text is unknown
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    assert "make sure it tells callees to press 9 to opt out" in staff_client.get(start).content.decode()
    err = io.StringIO()
    call_command("campaign", "start", str(marketing.pk), stdout=io.StringIO(), stderr=err)
    assert "Warning: The first message of menu 满意度调查 plays TTS_100001" in err.getvalue()
    marketing.refresh_from_db()
    assert marketing.state == Campaign.State.RUNNING


def test_every_script_variant_menu_needs_the_opt_out_key(marketing, menu, staff_client):
    opt_out(menu)
    other = MenuTemplate.objects.create(name="B 版", start_code="TTS_300001", play_times=1, timeout_ms=5000)
    ScriptVariant.objects.create(campaign=marketing, name="B", menu=other)
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    assert "must offer an opt-out key (a key option marked “opt out”): B 版" in staff_client.get(start).content.decode()


def test_a_survey_calls_everyone(marketing, staff_client):
    Campaign.objects.filter(pk=marketing.pk).update(purpose=Campaign.Purpose.SURVEY)
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    assert "without consent" not in staff_client.get(start).content.decode()
    staff_client.post(start)
    assert Call.objects.filter(campaign=marketing).count() == 4
