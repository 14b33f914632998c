"""A caller number Aliyun refuses as an invalid display number is deactivated with a reason
(a code and params), worded when staff look at it, in the reader's language, whatever language
the process that settled the refusal spoke."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, CallerNumber
from receipts.inbox import settle_pending
from tests.actors import OPERATOR
from tests.dialling import RecordingClient
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db

ENGLISH = "Aliyun says this display number is invalid (200117). Check it in the Aliyun console."
CHINESE = "阿里云提示该外显号码无效（200117），请在阿里云控制台检查。"


def refused_as_invalid_display_number(client, receipt_url, campaign, settler_language: str) -> CallerNumber:
    """Dial the campaign; Aliyun's receipt for one call says 200117, settled by a dispatcher
    tick that speaks `settler_language`."""
    actions.do_start_campaign(campaign, actor=OPERATOR)
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=RecordingClient())
    call = campaign.calls.filter(status=Call.Status.PLACED).order_by("pk").first()
    element = record(0, "200117", start="", dtmf="", duration="0") | {"call_id": call.call_id, "out_id": call.out_id}
    response = client.generic("POST", receipt_url, json.dumps([element]), content_type="application/json")
    assert response.status_code == 200
    with translation.override(settler_language):
        settle_pending()
    number = CallerNumber.objects.get(pk=call.caller_number_id)
    assert not number.active
    return number


def read(staff_client, language: str, *urls: str) -> list[str]:
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return [staff_client.get(url).content.decode() for url in urls]


def test_refused_in_english_reads_in_chinese(staff_client, receipt_url, campaign, redis_conn):
    number = refused_as_invalid_display_number(staff_client, receipt_url, campaign, "en")

    changelist, change_form = read(
        staff_client,
        "zh-hans",
        reverse("admin:campaigns_callernumber_changelist"),
        reverse("admin:campaigns_callernumber_change", args=[number.pk]),
    )
    for page in (changelist, change_form):
        assert CHINESE in page and ENGLISH not in page


def test_refused_in_chinese_reads_in_english(staff_client, receipt_url, campaign, redis_conn):
    number = refused_as_invalid_display_number(staff_client, receipt_url, campaign, "zh-hans")

    changelist, campaign_page = read(
        staff_client,
        "en",
        reverse("admin:campaigns_callernumber_changelist"),
        reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
    )
    for page in (changelist, campaign_page):
        assert ENGLISH in page and CHINESE not in page
    assert f"Caller number {number.number} is not in use." in campaign_page
