"""Issue 22's fourth "done when": a marketing campaign over a list where half the contacts lack
consent dials only the other half, and its Start page said so beforehand; its menu must offer
an opt-out key. Consent comes from the contact file's columns (Chinese titles too)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns.models import Call, Campaign, ContactList, MenuOption

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


def test_only_contacts_with_consent_are_dialled_and_the_start_page_says_so(marketing, menu, staff_client):
    MenuOption.objects.create(template=menu, key="9", label="退订", opt_out=True, position=9)
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


def test_a_survey_calls_everyone(marketing, staff_client):
    Campaign.objects.filter(pk=marketing.pk).update(purpose=Campaign.Purpose.SURVEY)
    start = reverse("admin:campaigns_campaign_transition", args=[marketing.pk, "start"])
    assert "without consent" not in staff_client.get(start).content.decode()
    staff_client.post(start)
    assert Call.objects.filter(campaign=marketing).count() == 4
