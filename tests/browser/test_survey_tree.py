"""The survey's page in headless Chromium, in Simplified Chinese: a survey loaded from its file
and started, some contacts answered; the admin lists it, its tree shows every question nested
under the answer that leads to it with counts per question, and no string of ours is left in
English. (The app served by pytest-django's live server: no dialling is needed to draw a tree.)

Screenshots: test-results/<test>/NN-page.png."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from campaigns.models import Call, CallerNumber, Contact, ContactList, MenuOption, MenuTemplate
from surveys.models import Survey
from tests.browser.test_journey import PASSWORD, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def menu(name: str, labels: list[str]) -> MenuTemplate:
    template = MenuTemplate.objects.create(name=name, start_code="TTS_300001")
    for n, label in enumerate(labels, start=1):
        MenuOption.objects.create(template=template, key=str(n), label=label, code=f"TTS_30000{n}", position=n)
    return template


@pytest.fixture
def survey(tmp_path) -> Survey:
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    CallerNumber.objects.create(number="057187654321", max_concurrent_calls=50)
    people = ContactList.objects.create(name="回访名单")
    Contact.objects.bulk_create(Contact(contact_list=people, phone=f"138{n:08d}", name=f"客户{n}") for n in range(12))
    menu("满意度", ["满意", "一般", "不满意"])
    menu("不满意原因", ["价格", "服务"])
    menu("推荐意愿", ["会推荐", "不会推荐"])
    path = tmp_path / "survey.json"
    path.write_text(
        json.dumps(
            {
                "name": "满意度回访",
                "lists": ["回访名单"],
                "callers": ["057187654321"],
                "questions": [
                    {
                        "id": "Q1",
                        "menu": "满意度",
                        "branches": [
                            {"answer": "不满意", "ask": "Q2a", "delay_minutes": 30},
                            {"answer": "满意", "ask": "Q2b", "delay_minutes": 30},
                        ],
                    },
                    {"id": "Q2a", "menu": "不满意原因"},
                    {"id": "Q2b", "menu": "推荐意愿"},
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("survey", "load", str(path), stdout=out)
    loaded = Survey.objects.get(pk=int(out.getvalue().split()[-1]))
    call_command("survey", "start", str(loaded.pk), stdout=io.StringIO())
    first = loaded.questions.get(code="Q1").campaign
    for n, call in enumerate(Call.objects.filter(campaign=first).order_by("phone")[:6]):
        key, label = [("1", "满意"), ("3", "不满意"), ("2", "一般")][n % 3]
        Call.objects.filter(pk=call.pk).update(status="answered", answer_key=key, answer_label=label)
    return loaded


def test_the_survey_tree_in_chinese(survey, live_server, chromium_browser, results_dir):
    j = signed_in(chromium_browser, live_server.url, "zh-hans", results_dir)
    page, context = j.page, j.page.context

    j.go("/admin/surveys/survey/")
    j.look("survey-list")
    page.get_by_role("link", name="打开题目树").click()
    page.wait_for_url(f"**/surveys/{survey.pk}/")
    j.look("survey-tree")

    root = page.locator("li.survey-node[data-question=Q1]")
    assert root.locator("> p.survey-counts b[data-stage=answered]").inner_text() == "6"
    assert "满意: 2" in root.locator("> p.survey-answers").inner_text()
    for child, answer in (("Q2a", "不满意"), ("Q2b", "满意")):
        node = root.locator(f"li.survey-node[data-question={child}]")
        assert f"回答“{answer}”后 1800 秒" in node.inner_text()
        assert node.locator("b[data-stage=waiting]").inner_text() == "12"
    rates = page.locator("table.survey-rates")
    # 2 answered 一般 (the end of their path), 4 wait for their second question: partial so far.
    assert rates.locator("[data-field=complete]").inner_text() == "2"
    assert rates.locator("[data-field=partial]").inner_text() == "4"
    assert j.untranslated == {}
    context.close()
