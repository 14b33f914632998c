"""The words an operator reads: a forecast of one calling day says "1 day"; an action says what
it did ("paused", not "Pause done."); the Chinese calls a campaign 外呼任务 and a follow-up 追访
throughout; an XLSX preview says it read a workbook (not "按 xlsx 编码读取"); a caller number's
column says it is a limit."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from campaigns.forecast import campaign_forecast, summary
from tests.test_i18n import PO_PATH, compile_catalogue, parse_po

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    compile_catalogue()


def in_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def test_a_forecast_of_one_day_says_one_day(campaign):
    forecast = campaign_forecast(campaign)
    assert forecast.window_days == 1
    sentence = summary(forecast, campaign.window)["sentence"]
    assert "(1 day of 24-hour windows)" in sentence and "1 days" not in sentence


def test_each_action_says_what_it_did(staff_client, campaign):
    client = in_chinese(staff_client)
    said = []
    for action in ("start", "pause", "resume", "cancel"):
        url = reverse("admin:campaigns_campaign_transition", args=[campaign.pk, action])
        page = client.post(url, follow=True).content.decode()
        said.append(re.search(r'<li class="success">(.*?)</li>', page).group(1))
    assert said == [
        "外呼任务“Q4 survey”已开始。",
        "外呼任务“Q4 survey”已暂停：恢复之前不会发起新的呼叫。",
        "外呼任务“Q4 survey”已恢复。",
        "外呼任务“Q4 survey”已取消。",
    ]


def test_the_chinese_says_one_word_for_campaign_and_one_for_follow_up():
    for entry in parse_po(PO_PATH.read_text(encoding="utf-8")):
        for msgstr in entry.msgstr:
            assert "活动" not in msgstr and "跟进" not in msgstr, (entry.msgid, msgstr)


def test_an_xlsx_preview_says_it_read_a_workbook(staff_client, contact_list, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    workbook = Workbook()
    workbook.active.append(["手机号", "姓名"])
    workbook.active.append(["13900139000", "李四"])
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("名单.xlsx", data.getvalue())
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    page = in_chinese(staff_client).post(url, {"file": upload}).content.decode()
    assert "已读取工作簿“名单.xlsx”（XLSX，第一个工作表）；列：" in page
    assert "编码读取" not in page


def test_a_caller_numbers_cap_is_called_a_limit(staff_client, caller):
    page = staff_client.get(reverse("admin:campaigns_callernumber_changelist")).content.decode()
    assert "Concurrency limit now" in page and "Concurrent calls now" not in page


def test_counts_agree_with_their_nouns(staff_client, campaign):
    staff_client.post(reverse("admin:campaigns_campaign_transition", args=[campaign.pk, "start"]))
    url = reverse("admin:campaigns_campaign_changelist")
    page = staff_client.post(url, {"action": "pause_selected", "_selected_action": [campaign.pk]}, follow=True)
    assert "1 campaign paused." in page.content.decode()


def test_a_contacts_name_is_姓名_in_chinese(staff_client, contact_list):
    page = in_chinese(staff_client).get(reverse("admin:campaigns_contact_changelist")).content.decode()
    header = re.search(r'<th scope="col" class="[^"]*column-name[^"]*">(.*?)</th>', page, re.S).group(1)
    assert "姓名" in header and "名称" not in header
