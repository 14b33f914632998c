"""One time zone, as an operator in Beijing sees it in Chromium, in Simplified Chinese: the
campaign list, the do-not-call list (its "added" column and the opt-out's reason agree) and a
campaign's date fields, with no "you are 8 hours ahead of the server" warning. (The app served
by pytest-django's live server.)

Screenshots: test-results/<test>/NN-page.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList, DoNotCall, MenuTemplate
from campaigns.opt_out import opt_out
from tests.browser.test_journey import PASSWORD, Journey

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MOMENT = dt.datetime(2026, 12, 6, 7, 54, tzinfo=dt.UTC)  # 15:54 in Beijing


@pytest.fixture
def opted_out() -> Campaign:
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    menu = MenuTemplate.objects.create(name="满意度", start_code="TTS_300001")
    people = ContactList.objects.create(name="十二月名单")
    contact = Contact.objects.create(contact_list=people, phone="13800138000", name="张三")
    campaign = Campaign.objects.create(name="十二月回访", menu=menu, state=Campaign.State.RUNNING)
    campaign.contact_lists.add(people)
    campaign.caller_numbers.add(CallerNumber.objects.create(number="057187654321"))
    snapshot = {**menu.snapshot(), "options": [{"key": "9", "label": "退订", "action": "opt_out"}]}
    Campaign.objects.filter(pk=campaign.pk).update(menu_snapshot=snapshot, created_at=MOMENT)
    call = Call.objects.create(campaign=campaign, contact=contact, phone=contact.phone, status="answered", dtmf="9")
    opt_out([Call.objects.select_related("campaign").get(pk=call.pk)], MOMENT)
    DoNotCall.objects.update(created_at=MOMENT)
    return campaign


def test_an_operator_in_beijing_sees_beijing_time_everywhere(opted_out, live_server, chromium_browser, results_dir):
    context = chromium_browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    j = Journey(page, live_server.url, "zh-hans", results_dir)
    j.go("/admin/login/")  # Chinese from the browser's zh-CN
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")

    j.go("/admin/campaigns/campaign/")
    j.look("campaign-list")
    assert "2026年12月6日 15:54" in page.locator("#result_list").inner_text()

    j.go("/admin/campaigns/donotcall/")
    j.look("do-not-call-list")
    row = page.locator("#result_list tbody tr").first.inner_text()
    assert "于 2026-12-06 15:54 在“十二月回访”中按 9 退订" in row and "2026年12月6日 15:54" in row

    j.go(f"/admin/campaigns/campaign/{opted_out.pk}/change/")
    j.look("campaign-page")
    assert page.locator("input[name=starts_at_0]").count() == 1  # a date field the admin's script checks
    assert page.locator(".timezonewarning").count() == 0  # no "you are 8 hours ahead of the server"
    assert page.locator(".campaign-zone").count() == 0  # the campaign's zone is the operator's
    assert j.untranslated == {}
    context.close()
