"""The best hours to call (issue 26) in headless Chromium, in Chinese and in English: the heat
map of answer rates by weekday and hour is drawn with shaded cells, the suggested calling window
names its hours and expected rate, a carrier filter narrows it, and (in Chinese) no string of
ours is left in English. Served by pytest-django's live server from a filled cube."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import CallerNumber, CallStats, Campaign, MenuTemplate
from tests.browser.test_journey import PASSWORD, signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


@pytest.fixture
def cube() -> None:
    """Last Tuesday's calls: 10:00-12:59 Shanghai time answered well, 19:00 hardly."""
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    number = CallerNumber.objects.create(number="057187654321", max_concurrent_calls=50)
    menu = MenuTemplate.objects.create(name="满意度", start_code="TTS_1")
    campaign = Campaign.objects.create(name="回访", menu=menu)
    today = timezone.localdate()
    tuesday = today - dt.timedelta(days=(today.weekday() - 1) % 7 or 7)
    for hour, answered in ((10, 40), (11, 45), (12, 35), (19, 5)):
        local = dt.datetime.combine(tuesday, dt.time(hour), tzinfo=timezone.get_default_timezone())
        for carrier, share in (("中国移动", 1.0), ("中国联通", 0.5)):
            CallStats.objects.create(
                hour=local.astimezone(dt.UTC),
                campaign=campaign,
                caller_number=number,
                province="浙江",
                carrier=carrier,
                calls=50,
                answered=int(answered * share),
            )


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_heat_map_and_suggested_window(cube, lang, live_server, chromium_browser, results_dir):
    j = signed_in(chromium_browser, live_server.url, lang, results_dir)
    page, context = j.page, j.page.context

    j.go("/admin/best-hours/")
    j.look("best-hours")
    assert page.locator("h1").inner_text() == j.t("Best hours to call", "最佳拨打时段")
    rated = page.locator("#heat-map td:not(.heat--1)")  # -1: no rate (no calls that hour)
    assert rated.count() == 4  # the four hours called
    suggestion = page.locator("#suggested-window p").inner_text()
    # The morning's answered hours, not the evening's: some window within 08:00-13:00.
    start = next(hour for hour in ("08:00", "09:00", "10:00") if hour in suggestion)
    assert "19:00" not in suggestion and "63.5%" in suggestion, (start, suggestion)

    page.select_option("#best-hours-filters select[name=carrier]", "中国联通")
    page.locator("#best-hours-filters input[type=submit]").click()
    page.wait_for_url("**carrier=*")
    j.look("best-hours-unicom")
    assert page.locator("#best-hours-filters select[name=carrier]").input_value() == "中国联通"
    assert j.untranslated == {} and j.too_wide == []
    context.close()
