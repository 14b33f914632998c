"""A survey in two calls, the way an operator runs it, in headless Chromium against the real
stack: run a campaign → open its dashboard → break the answers down by a contact variable →
tick segments → create a follow-up campaign (its contacts copied by a worker, the page showing
progress) → start it → its dashboard shows the chain. In English and in Simplified Chinese,
where no string of ours may be left in English.

Screenshots: test-results/<test>/NN-page.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import CallerNumber, Campaign, Contact, ContactList, DoNotCall, MenuOption, MenuTemplate
from campaigns.segments import parse_all, segment_calls
from tests.browser.test_journey import PASSWORD, Journey, wait_until
from tests.stack import Stack, database_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

CONTACTS = 24
CITIES = ["杭州", "温州", "宁波"]


@pytest.fixture
def stack(results_dir):
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    with Stack(
        database_url(),
        workers=2,
        simulator_args=("--call-duration-scale", "0.02", "--receipt-flush-interval", "0.3"),
        env={
            "FOLLOWUP_INLINE_LIMIT": "2",  # so the copy runs in a worker, as for a million contacts
            # The follow-up calls the first campaign's people again at once: under Aliyun's 1 call
            # a minute per callee (the default) it would wait a minute. The guard itself is
            # tested in test_callee_guard_across_campaigns.
            "CALLEE_LIMITS": "1/2",
        },
        log_dir=results_dir / "stack-logs",
    ) as running:
        yield running


def first_campaign(suffix: str) -> Campaign:
    caller = CallerNumber.objects.create(number="057187654321", max_concurrent_calls=50)
    menu = MenuTemplate.objects.create(name="满意度" + suffix, start_code="TTS_270001", bye_code="TTS_270009")
    for n, (key, label) in enumerate([("1", "满意"), ("2", "一般"), ("3", "不满意")]):
        MenuOption.objects.create(template=menu, key=key, label=label, code=f"TTS_27000{key}", position=n, score=3 - n)
    contact_list = ContactList.objects.create(name="十二月名单" + suffix)
    Contact.objects.bulk_create(
        Contact(
            contact_list=contact_list,
            phone=f"138{n:08d}",
            name=f"客户{n:02d}",
            variables={"城市": CITIES[n % 3], "product": "宽带"},
        )
        for n in range(CONTACTS)
    )
    campaign = Campaign.objects.create(
        name="十二月回访" + suffix, menu=menu, daily_start=dt.time(0, 0), daily_end=dt.time(0, 0), max_attempts=1
    )
    campaign.contact_lists.add(contact_list)
    campaign.caller_numbers.add(caller)
    return campaign


def start_and_finish(page, j: Journey, campaign: Campaign, name: str) -> None:
    j.go(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    page.locator("a.transition-start").click()
    page.locator(".transition-confirm input[type=submit]").click()
    page.wait_for_url(f"**/campaign/{campaign.pk}/change/")

    def completed() -> bool:
        campaign.refresh_from_db()
        return campaign.state == Campaign.State.COMPLETED

    wait_until(completed, 90, message=f"{name} completes")


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_followup_journey(lang, stack, chromium_browser, results_dir):
    context = chromium_browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(f"{page.url}: {msg.text}"))
    j = Journey(page, stack.url, lang, results_dir)
    suffix = "" if lang == "en" else " 中文"
    source = first_campaign(suffix)

    j.go("/admin/")
    if lang != "en":
        page.locator(".language-switch button[value=zh-hans]").click()
        page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(stack.url + "/admin/")

    # Run the first campaign to the end.
    start_and_finish(page, j, source, "the first campaign")

    # Its dashboard: segments with counts, the breakdown by city, scores.
    j.go(f"/receipts/campaigns/{source.pk}/dashboard/")
    page.wait_for_selector(".results-segments")
    page.select_option("#by-filter", "城市")
    page.wait_for_selector('[data-chart="crosstab"] canvas')
    # Chart.js loads after the canvas is in the page: wait for both (a bare `Chart` throws until then).
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('[data-chart=\"crosstab\"] canvas'))"
    )
    values = page.locator('[data-chart="crosstab"] tbody tr').evaluate_all(
        "rows => rows.map(row => row.cells[0].textContent.trim())"
    )
    assert set(values) == set(CITIES), values
    # Receipts are settled and the figures refreshed in the background: the page's poll shows them.
    page.wait_for_function("() => document.querySelector('dd[data-field=\"score_mean\"]').textContent.trim() !== '—'")
    j.look("dashboard-by-city")

    # Pick segments: the unhappy answers and the calls not answered (whichever have contacts).
    enabled = page.locator(".results-segments input[name=segment]:not([disabled])")
    codes = [c for c in enabled.evaluate_all("boxes => boxes.map(b => b.value)") if c != "status:answered"][:2]
    assert codes, "no segment has contacts"
    for code in codes:
        page.locator(f'.results-segments input[value="{code}"]').check()
    expected = {c.phone for c in segment_calls(source, parse_all(codes))}
    DoNotCall.objects.create(phone=sorted(expected)[0], reason="opted out meanwhile")
    expected -= {sorted(expected)[0]}
    j.look("dashboard-segments-ticked")
    page.locator(".segment-actions button[value=followup]").click()
    page.wait_for_url("**/followup/**")
    assert sorted(page.locator("input[name=segments]:checked").evaluate_all("bs => bs.map(b => b.value)")) == sorted(
        codes
    )
    page.fill("#id_name", "二次回访" + suffix)
    j.look("followup-form")
    page.locator(".submit-row input[type=submit]").click()
    page.wait_for_url("**/campaign/*/change/")
    followup = Campaign.objects.get(followup_of=source)
    j.look("followup-created")

    # The worker copies the contacts; the page reloads itself until done.
    page.wait_for_selector(".campaign-chain .followup-of")
    wait_until(lambda: page.locator(".followup-copying").count() == 0, 60, message="the copy finishes")
    assert {c.phone for c in Contact.objects.filter(contact_list__campaigns=followup)} == expected
    j.look("followup-ready")

    # Start it; the source campaign's page lists it.
    start_and_finish(page, j, followup, "the follow-up")
    j.go(f"/admin/campaigns/campaign/{source.pk}/change/")
    assert followup.name in page.locator(".campaign-chain .followups").inner_text()
    j.look("source-lists-followup")

    # Its dashboard shows the chain: both campaigns, the segment of origin, the answers.
    j.go(f"/receipts/campaigns/{followup.pk}/dashboard/")
    chain = page.locator(".results-chain tbody tr")
    assert chain.count() == 2
    assert source.name in chain.nth(0).inner_text()
    second = chain.nth(1).inner_text()
    assert followup.name in second and source.name in second
    assert str(len(expected)) in second.split("\t")[2]
    j.look("followup-dashboard-chain")

    assert console_errors == [], console_errors
    assert j.too_wide == [], f"pages wider than the window: {j.too_wide}"
    assert j.untranslated == {}, f"English strings of ours on Chinese pages: {j.untranslated}"
    context.close()
