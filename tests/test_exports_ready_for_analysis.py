"""Exports open ready for analysis, in the reader's language: typed XLSX cells (numbers as
numbers, times as dates, the zone in the header), a score and a call-duration column, times
with their offset in CSV, worded headers, and the campaign's name in the file name."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.contacts.importing import import_contacts
from campaigns.models import Call, Contact, ContactList, MenuOption
from tests.results_fixtures import OUTCOMES, finished_campaign
from tests.test_i18n import compile_catalogue

pytestmark = pytest.mark.django_db

NAME = "满意度回访/十二月"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    compile_catalogue()


@pytest.fixture
def done(caller, menu):
    for key, score in [("1", 5), ("2", 3), ("3", 1)]:
        MenuOption.objects.filter(template=menu, key=key).update(score=score)
    variables = {phone: {"city": "杭州", "product": "宽带", "call_after": "18:00"} for phone in OUTCOMES}
    campaign = finished_campaign(caller, menu, name=NAME, variables=variables)
    Call.objects.filter(campaign=campaign, status=Call.Status.ANSWERED).update(duration=42)
    return campaign


def get(client, url: str, language: str = "zh-hans", **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params)
    assert response.status_code == 200, response
    return response


def xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def by_phone(rows: list[list], phone: str) -> dict:
    return dict(zip(rows[0], next(row for row in rows if row[0] == phone), strict=True))


def filename(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')  # an ASCII name for old clients first
    return unquote(disposition.split("filename*=utf-8''", 1)[1])


def test_a_chinese_xlsx_results_export_has_typed_cells_scores_durations_and_zoned_times(staff_client, done):
    response = get(staff_client, f"/receipts/campaigns/{done.pk}/export/xlsx/")
    name = filename(response)
    assert name.startswith("结果-满意度回访十二月-") and name.endswith(".xlsx"), name
    rows = xlsx(response)
    assert rows[0] == [
        "号码", "姓名", "city", "product", "不早于（时:分）", "最终状态", "尝试次数",
        "最近呼叫时间（Asia/Shanghai，UTC+08:00）", "通话时长（秒）", "按键记录", "答案按键", "答案", "分值",
        "AAPOR 处置代码", "话术版本", "被叫省份", "被叫城市", "被叫运营商",
    ]  # fmt: skip
    unhappy = by_phone(rows, "13900000002")  # retried, then answered 3 (score 1)
    assert unhappy["姓名"] == "客户02" and unhappy["不早于（时:分）"] == "18:00"
    assert unhappy["尝试次数"] == 2 and isinstance(unhappy["尝试次数"], int)
    assert unhappy["通话时长（秒）"] == 42 and unhappy["分值"] == 1
    # Sent at T0 + 2 h = 04:00 UTC: 12:00 in Beijing, a real date cell.
    assert unhappy["最近呼叫时间（Asia/Shanghai，UTC+08:00）"] == dt.datetime(2026, 11, 2, 12, 0)
    busy = by_phone(rows, "13900000006")
    assert busy["分值"] is None and busy["通话时长（秒）"] is None
    no_key = by_phone(rows, "13900000004")  # answered, pressed nothing: no score
    assert no_key["分值"] is None


def test_the_csv_carries_the_offset_in_each_time(staff_client, done):
    response = get(staff_client, f"/receipts/campaigns/{done.pk}/export/csv/", "en")
    assert filename(response).startswith("results-满意度回访十二月-")
    rows = csv_rows(response)
    assert rows[0][:5] == ["number", "name", "city", "product", "call after (HH:MM)"]
    assert "call_after" not in rows[0] and "score" in rows[0] and "call duration (s)" in rows[0]
    happy = by_phone(rows, "13900000001")
    assert happy["last call time (Asia/Shanghai, UTC+08:00)"] == "2026-11-02 11:00:00 +08:00"
    assert happy["score"] == "5" and happy["call duration (s)"] == "42"


def test_no_score_column_without_a_scale(staff_client, caller, menu):
    campaign = finished_campaign(caller, menu, name="无分值")
    header = csv_rows(get(staff_client, f"/receipts/campaigns/{campaign.pk}/export/csv/", "en"))[0]
    assert "score" not in header and "call duration (s)" in header


def test_segment_and_chain_exports_name_the_campaign_and_the_person(staff_client, done):
    segment = get(staff_client, f"/receipts/campaigns/{done.pk}/segments/export/xlsx/", segment="answer:不满意")
    assert filename(segment).startswith("分组-满意度回访十二月-")
    rows = xlsx(segment)
    assert rows[0][:5] == ["号码", "姓名", "city", "product", "不早于（时:分）"]
    assert {row[0] for row in rows[1:]} == {"13900000002", "13900000003"}
    assert all(isinstance(row[6], int) for row in rows[1:])
    chain = get(staff_client, f"/receipts/campaigns/{done.pk}/chain/export/csv/")
    assert filename(chain).startswith("追访链-满意度回访十二月-")
    assert csv_rows(chain)[0][:5] == ["号码", "姓名", "city", "product", "不早于（时:分）"]


def test_the_crosstab_csv_reads_in_one_language(staff_client, done):
    response = get(staff_client, f"/receipts/campaigns/{done.pk}/crosstab/export/", by="call_after")
    assert filename(response).startswith("交叉分析-满意度回访十二月-")
    header = csv_rows(response)[0]
    assert header == [
        "不早于（时:分）", "联系人", "已拨打", "已接听", "接通率 %", "1: 满意", "2: 一般", "3: 不满意", "平均分",
    ]  # fmt: skip


def test_formulas_stay_neutralised_in_typed_exports(staff_client, done):
    Contact.objects.filter(contact_list__campaigns=done, phone="13900000001").update(name="=HYPERLINK(1)")
    rows = xlsx(get(staff_client, f"/receipts/campaigns/{done.pk}/export/xlsx/"))
    assert by_phone(rows, "13900000001")["姓名"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("language, header", [("zh-hans", "不早于"), ("en", "call after")])
def test_a_list_export_words_the_contact_hours_and_reads_them_back(staff_client, done, language, header):
    source = done.contact_lists.get()
    response = get(staff_client, reverse("admin:campaigns_contactlist_export", args=[source.pk, "csv"]), language)
    assert csv_rows(response)[0] == ["phone", "name", "city", "product", header, "do_not_call"]
    copy = ContactList.objects.create(name="副本")
    response = get(staff_client, reverse("admin:campaigns_contactlist_export", args=[source.pk, "csv"]), language)
    import_contacts(copy, io.BytesIO(b"".join(response.streaming_content)), "副本.csv")
    assert copy.contacts.get(phone="13900000001").variables["call_after"] == "18:00"
