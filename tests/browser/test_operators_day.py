"""An operator's day in headless Chromium, in Simplified Chinese: importing a file whose phone
column is headed 联系方式 (the column mapping, the do-not-call flag, only the rejected rows),
a test call from a campaign's page with its receipt arriving on its page, and the wallboard.
No string of ours is left in English. (pytest-django's live server; the Aliyun client is
faked at its edge, as in tests/test_test_call.py.)

Screenshots: test-results/<test>/NN-page.png."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from campaigns.dialling import aliyun
from campaigns.models import DoNotCall, TestCall
from receipts.ingest import ingest
from tests.browser.test_journey import PASSWORD, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CSV = "客户,联系方式,产品,不早于\n王伟,13900139000,电视,18:00\n坏号,12345,宽带,\n赵六,13700000003,宽带,晚上\n"


class PlacingClient:
    def prepare_ivr_call(self, request):
        return request

    def send(self, request):
        return aliyun.CallResult(aliyun.Outcome.PLACED, "116012354148^10281378", "OK", "OK", "req-1")


@pytest.fixture
def operator(live_server, chromium_browser, results_dir, redis_conn, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    j = signed_in(chromium_browser, live_server.url, "zh-hans", results_dir)
    context = j.page.context
    yield j
    context.close()


def test_import_with_a_column_mapping_in_chinese(operator, contact_list, tmp_path):
    j, page = operator, operator.page
    DoNotCall.objects.create(phone="13700000003")
    file = tmp_path / "名单.csv"
    file.write_text(CSV, encoding="utf-8")
    j.go(f"/admin/campaigns/contactlist/{contact_list.pk}/import/")
    page.set_input_files("#id_file", str(file))
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#column-mapping")
    assert page.locator("#id_column_1").input_value() == "phone"  # 联系方式, guessed
    assert page.locator("#id_column_0").input_value() == "name"  # 客户
    j.look("import-mapping")
    rows = page.locator("#import-rows tbody tr")
    assert rows.count() == 3
    assert "在免打扰名单上" in page.locator("#import-rows tr.import-dnc").inner_text()
    assert "不带自己的呼叫时段" in page.locator("#import-rows tr.import-dnc").inner_text()
    page.locator("label[for=only-rejected]").click()
    assert page.locator("#import-rows tbody tr:visible").count() == 1
    j.look("import-only-rejected")
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"**/contactlist/{contact_list.pk}/change/")
    assert page.get_by_role("link", name="下载被拒绝的行（附原因列）").count() == 1
    j.look("import-done")
    assert contact_list.contacts.filter(phone="13900139000", name="王伟").exists()
    assert j.untranslated == {}


def test_a_test_call_in_chinese(operator, campaign, monkeypatch):
    j, page = operator, operator.page
    monkeypatch.setattr("campaigns.accounts.client_for", lambda account_id: PlacingClient())
    j.go(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    page.get_by_role("link", name="呼叫我").click()
    page.fill("#id_phone", "13912345678")
    j.look("test-call-form")
    page.locator("#call-me").click()
    page.wait_for_url("**/testcall/*/live/")
    assert page.locator(".test-call-status").inner_text() == "已发起"
    j.look("test-call-placed")
    test_call = TestCall.objects.get()
    ingest(
        [
            {"call_id": test_call.call_id, "out_id": test_call.out_id, "status_code": "200000", "duration": "9",
             "start_time": "2026-12-06 10:00:01", "end_time": "2026-12-06 10:00:10", "dtmf": "1"},
        ]
    )  # fmt: skip
    page.wait_for_selector(".test-call-answer", timeout=10_000)  # the page reloads itself
    assert page.locator(".test-call-answer").inner_text() == "满意"
    j.look("test-call-answered")
    assert j.untranslated == {}


def test_the_wallboard_in_chinese(operator, running_campaign):
    j, page = operator, operator.page
    j.go("/admin/campaigns/campaign/")
    page.get_by_role("link", name="看板").click()
    page.wait_for_selector("#wallboard-campaigns")
    assert running_campaign.name in page.locator("#wallboard-campaigns").inner_text()
    j.look("wallboard")
    page.wait_for_timeout(6_000)  # one poll redraws the tables from the JSON endpoint
    assert running_campaign.name in page.locator("#wallboard-campaigns").inner_text()
    assert "进行中" in page.locator("#wallboard-campaigns").inner_text()
    assert j.untranslated == {}
