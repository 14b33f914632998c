"""Results per contact as CSV (streamed, BOM) and XLSX; formula-safe; matching the calls."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from campaigns.models import Call

pytestmark = pytest.mark.django_db


@pytest.fixture
def results(running_campaign, contact_list):
    contacts = list(contact_list.contacts.order_by("phone"))
    contacts[1].name = '=HYPERLINK("http://evil")'
    contacts[1].variables = {"product": "+SUM(A1)"}
    contacts[1].save()
    sent = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    Call.objects.bulk_create(
        [
            Call(campaign=running_campaign, contact=contacts[0], phone=contacts[0].phone, status="answered",
                 dtmf="1", answer_key="1", answer_label="满意", sent_at=sent, ended_at=sent + dt.timedelta(minutes=1)),
            Call(campaign=running_campaign, contact=contacts[1], phone=contacts[1].phone, status="no_answer",
                 is_latest=False, sent_at=sent, ended_at=sent),
            Call(campaign=running_campaign, contact=contacts[1], phone=contacts[1].phone, status="busy", attempt=2,
                 sent_at=sent + dt.timedelta(hours=1), ended_at=sent + dt.timedelta(hours=1, seconds=30)),
        ]
    )  # fmt: skip
    return contacts


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_rows_match_the_calls(staff_client, running_campaign, results):
    response = staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/export/csv/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [
        "number", "name", "product", "final status", "attempts", "last call time (Asia/Shanghai, UTC+08:00)",
        "call duration (s)", "keys pressed", "answer key", "answer", "AAPOR disposition", "script variant",
        "callee's province", "callee's city", "callee's carrier",
    ]  # fmt: skip
    assert rows[1] == [
        "13800130000", "张三0", "宽带", "answered", "1", "2026-11-02 10:01:00 +08:00", "", "1", "1", "满意",
        "1.1 Complete: answered with a menu key", "", "北京市", "北京市", "中国移动",
    ]  # fmt: skip
    # Latest attempt only, last call time in Asia/Shanghai, with its offset.
    assert rows[2][3:6] == ["busy", "2", "2026-11-02 11:00:30 +08:00"]
    assert len(rows) == 3


def test_formulas_are_neutralised(staff_client, running_campaign, results):
    rows = read_csv(staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/export/csv/"))
    assert rows[2][1] == '\'=HYPERLINK("http://evil")'
    assert rows[2][2] == "'+SUM(A1)"


def test_xlsx_has_the_same_rows(staff_client, running_campaign, results):
    csv_rows = read_csv(staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/export/csv/"))
    response = staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/export/xlsx/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # The same cells, typed: numbers as numbers, the time as a date (its zone in the header).
    assert xlsx_rows[0] == csv_rows[0]
    assert xlsx_rows[2][3:6] == ["busy", 2, dt.datetime(2026, 11, 2, 11, 0, 30)]
    as_text = {int: str, dt.datetime: lambda v: f"{v:%Y-%m-%d %H:%M:%S} +08:00", type(None): lambda v: ""}
    assert [[as_text.get(type(v), str)(v) for v in row] for row in xlsx_rows] == csv_rows
    assert sheet["B3"].data_type != "f"


def test_list_filter_and_unknown_format(staff_client, running_campaign, results, contact_list):
    other = staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/export/csv/?list={contact_list.pk}")
    assert len(read_csv(other)) == 3
    assert staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/export/pdf/").status_code == 404
