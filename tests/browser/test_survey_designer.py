"""The survey designer in headless Chromium, in Simplified Chinese: three questions added on one
screen, each menu's answers appear when it is chosen, branches drawn from them; a loop is shown
at its question in Chinese; fixed, the survey saves as a draft, exports and starts. No string of
ours is left in English.

Screenshots: test-results/<test>/NN-page.png."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import CallerNumber, Contact, ContactList
from surveys.models import Survey
from tests.browser.test_journey import PASSWORD, signed_in
from tests.designer_forms import three_menus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def ready(db) -> None:
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    CallerNumber.objects.create(number="057112345678", max_concurrent_calls=50)
    people = ContactList.objects.create(name="客户名单")
    Contact.objects.bulk_create(Contact(contact_list=people, phone=f"138{n:08d}", name=f"客户{n}") for n in range(6))
    three_menus()


def test_the_survey_designer_in_chinese(ready, live_server, chromium_browser, results_dir):
    j = signed_in(chromium_browser, live_server.url, "zh-hans", results_dir)
    page, context = j.page, j.page.context

    j.go("/admin/surveys/survey/add/")
    page.fill("#id_name", "满意度回访")
    page.select_option("#id_lists", ["客户名单"])
    page.select_option("#id_callers", ["057112345678"])
    for n, (code, menu) in enumerate([("Q1", "满意度"), ("Q2a", "不满意原因"), ("Q2b", "推荐意愿")]):
        if n:
            page.get_by_role("button", name="添加题目").click()
        page.fill(f"#id_questions-{n}-code", code)
        page.select_option(f"#id_questions-{n}-menu", menu)
    q1 = page.locator("fieldset[data-prefix=questions-0]")
    assert q1.locator("tr[data-slot='3'] .branch-label").inner_text() == "不满意"
    assert q1.locator("tr[data-slot='4']").is_hidden()  # 满意度 has keys 1–3 only
    page.select_option("#id_questions-0-next_3", "Q2a")
    page.fill("#id_questions-0-delay_3", "30")
    page.select_option("#id_questions-0-next_1", "Q2b")
    page.fill("#id_questions-0-delay_1", "30")
    page.select_option("#id_questions-1-next_1", "Q1")  # 价格 → back to Q1: a loop
    j.look("designer-filled")
    page.get_by_role("button", name="保存为草稿").click()

    q2a = page.locator("fieldset[data-prefix=questions-1]")
    assert "题目 Q2a 转回第一题：问卷不能循环。" in q2a.locator(".errorlist").inner_text()
    assert q2a.locator("tr[data-slot='1'] .branch-label").inner_text() == "价格"
    j.look("designer-loop")
    assert not Survey.objects.exists()

    page.select_option("#id_questions-1-next_1", "")  # 价格 → the end
    page.get_by_role("button", name="保存为草稿").click()
    page.wait_for_url("**/change/")
    survey = Survey.objects.get()
    assert [(q.code, q.parent_answer, q.delay_seconds) for q in survey.questions.order_by("position")] == [
        ("Q1", "", 0),
        ("Q2a", "不满意", 1800),
        ("Q2b", "满意", 1800),
    ]
    assert page.get_by_role("link", name="导出问卷文件（JSON）").is_visible()
    j.look("survey-saved")

    page.get_by_role("link", name="启动问卷").click()
    j.look("survey-start")
    page.get_by_role("button", name="是，启动").click()
    page.wait_for_url("**/change/")
    survey.refresh_from_db()
    assert survey.state == Survey.State.RUNNING
    assert j.untranslated == {}
    context.close()
