"""Caller-number concurrency: Aliyun's documented figures by default (3 for a mobile display
number, 15 for a fixed line), overridable, with the source named where staff set it."""

import pytest
from django.utils import timezone

from campaigns import reasons
from campaigns.dialling import refusals
from campaigns.dialling.claiming import caller_capacity
from campaigns.models import CallerNumber, Campaign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "override", "expected"),
    [("13912345678", None, 3), ("057188880000", None, 15), ("4001234567", None, 15), ("13912345678", 8, 8)],
)
def test_default_concurrency_by_kind_of_number(number, override, expected):
    caller = CallerNumber.objects.create(number=number, max_concurrent_calls=override)
    assert caller.concurrency() == expected


def test_claims_respect_the_default(campaign):
    mobile = CallerNumber.objects.create(number="13912345678")
    Campaign.objects.get(pk=campaign.pk).caller_numbers.set([mobile])
    assert caller_capacity(campaign, timezone.now()) == {mobile.pk: 3}


def test_caller_number_page_cites_the_source_and_shows_a_lowered_figure(staff_client):
    caller = CallerNumber.objects.create(number="13912345678")
    page = staff_client.get(f"/admin/campaigns/callernumber/{caller.pk}/change/").content.decode()
    assert "help.aliyun.com" in page and "3 (Aliyun" in page

    refusals.lower_concurrency(caller.pk, "200121", timezone.now())
    page = staff_client.get(f"/admin/campaigns/callernumber/{caller.pk}/change/").content.decode()
    assert "2 (lowered from 3 until" in page


def test_staff_turning_a_number_back_on_clears_the_reason(staff_client):
    caller = CallerNumber.objects.create(
        number="057188880000", active=False, inactive_reason=reasons.reason("caller_number.invalid", code="200117")
    )
    response = staff_client.post(
        f"/admin/campaigns/callernumber/{caller.pk}/change/",
        {"number": caller.number, "label": "", "max_concurrent_calls": "", "active": "on"},
    )
    assert response.status_code == 302
    caller.refresh_from_db()
    assert caller.active and caller.inactive_reason == {} and caller.concurrency() == 15
