"""An operator sees every time in one zone: TIME_ZONE (default Asia/Shanghai), in every list and
date field; a campaign's own page in the campaign's zone, saying so when it differs; the offset
(never "CST") where text leaves the page (exports, the command line); an opt-out's reason and
the do-not-call list's "added" column agree."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from campaigns.models import Call, Campaign, DoNotCall, ImportJob
from campaigns.opt_out import opt_out
from ivrsite.settings import envzone
from tests.test_i18n import compile_catalogue
from tests.test_reference_tables_import_export import export

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 12, 6, 7, 54, tzinfo=dt.UTC)  # 15:54 in Beijing


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    compile_catalogue()


def page(client, url: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_default_zone_is_beijing_and_a_typo_stops_the_start(monkeypatch):
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    monkeypatch.setenv("IVR_TEST_ZONE", "Europe/Berlin")
    assert envzone("IVR_TEST_ZONE", "Asia/Shanghai") == "Europe/Berlin"
    monkeypatch.setenv("IVR_TEST_ZONE", "Asia/Beijing")  # not an IANA name
    with pytest.raises(ImproperlyConfigured, match="IVR_TEST_ZONE='Asia/Beijing' is not an IANA time zone"):
        envzone("IVR_TEST_ZONE", "Asia/Shanghai")


def test_admin_lists_show_the_operators_zone(staff_client, campaign, contact_list):
    Campaign.objects.filter(pk=campaign.pk).update(created_at=MOMENT)
    ImportJob.objects.create(contact_list=contact_list, original_name="名单.csv")
    ImportJob.objects.update(created_at=MOMENT)
    DoNotCall.objects.create(phone="13800138000", reason={"text": "客户来电要求"})
    DoNotCall.objects.update(created_at=MOMENT)
    for name in ("campaigns_campaign", "campaigns_importjob", "campaigns_donotcall"):
        text = page(staff_client, reverse(f"admin:{name}_changelist"))
        assert "2026年12月6日 15:54" in text, name
        assert "07:54" not in text, name


def test_date_fields_are_read_in_the_operators_zone(staff_client):
    """The admin's date widgets compare the browser's offset with this one: no "8 hours ahead"."""
    text = page(staff_client, reverse("admin:campaigns_donotcall_add"))
    assert 'data-admin-utc-offset="28800"' in text


def test_an_opt_out_reads_the_same_time_in_its_reason_and_its_added_column(staff_client, placed_calls, menu):
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(dtmf="9")
    snapshot = {**menu.snapshot(), "options": [{"key": "9", "label": "退订", "action": "opt_out"}]}
    Campaign.objects.filter(pk=call.campaign_id).update(menu_snapshot=snapshot)
    opt_out([Call.objects.select_related("campaign").get(pk=call.pk)], MOMENT)
    DoNotCall.objects.filter(phone=call.phone).update(created_at=MOMENT)

    text = page(staff_client, reverse("admin:campaigns_donotcall_changelist"))
    assert "于 2026-12-06 15:54 在“Q4 survey”中按 9 退订" in text
    assert "2026年12月6日 15:54" in text


def test_a_reason_follows_the_operators_zone(staff_client, placed_calls, menu, settings):
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(dtmf="9")
    snapshot = {**menu.snapshot(), "options": [{"key": "9", "label": "退订", "action": "opt_out"}]}
    Campaign.objects.filter(pk=call.campaign_id).update(menu_snapshot=snapshot)
    opt_out([Call.objects.select_related("campaign").get(pk=call.pk)], MOMENT)
    settings.TIME_ZONE = "Europe/London"
    assert "于 2026-12-06 07:54 在“Q4 survey”中按 9 退订" in page(
        staff_client, reverse("admin:campaigns_donotcall_changelist")
    )


def test_a_campaign_in_another_zone_says_so_on_its_page(staff_client, campaign):
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    assert "本页时间按本外呼任务的时区" not in page(staff_client, url)
    Campaign.objects.filter(pk=campaign.pk).update(timezone="Asia/Tokyo", created_at=MOMENT)
    text = page(staff_client, url)
    assert "本页时间按本外呼任务的时区 Asia/Tokyo（UTC+09:00）显示；其他页面按 Asia/Shanghai 显示。" in text


def test_the_command_line_prints_the_offset_not_cst(campaign):
    """`campaign status` prints the expected finish as `2026-12-06 15:54 +08:00`."""
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.RUNNING)
    out = io.StringIO()
    call_command("campaign", "status", str(campaign.pk), stdout=out)
    finish = next(line for line in out.getvalue().splitlines() if "forecast" in line)
    assert "CST" not in finish
    stamp = finish.rsplit("finish ", 1)[1]
    when = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M %z")
    assert when.utcoffset() == zoneinfo.ZoneInfo("Asia/Shanghai").utcoffset(when.replace(tzinfo=None))


def test_the_do_not_call_export_gives_the_offset(staff_client, db):
    DoNotCall.objects.create(phone="13800138000", reason={"text": "客户来电要求"})
    DoNotCall.objects.update(created_at=MOMENT)
    status, body = export(staff_client, "donotcall")
    assert status == 200 and "13800138000,客户来电要求,,2026-12-06 15:54 +08:00" in body
