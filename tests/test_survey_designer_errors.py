"""The designer shows the file loader's problems beside the question they are about, in the
reader's language, and saves nothing: an unknown menu, a loop, a branch to no question."""

from __future__ import annotations

import copy
import re

import pytest

from surveys.models import Survey
from tests.designer_forms import QUESTIONS, URL, post_data, three_menus

pytestmark = pytest.mark.django_db


def question_box(html: str, n: int) -> str:
    """The HTML of the designer's n-th question."""
    return re.search(rf'data-prefix="questions-{n}">(.*?)</fieldset>', html, re.S).group(1)


def post(client, questions: list[dict], language: str = "en") -> str:
    response = client.post(URL, post_data("满意度回访", questions), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert not Survey.objects.exists()
    return response.content.decode()


@pytest.fixture
def questions(caller, contact_list) -> list[dict]:
    three_menus()
    return copy.deepcopy(QUESTIONS)


def test_an_unknown_menu_is_shown_at_its_question(staff_client, questions):
    questions[2]["menu"] = "已删除的菜单"
    html = post(staff_client, questions)
    assert "Question Q2b: unknown menu “已删除的菜单”." in question_box(html, 2)
    assert "errorlist" not in question_box(html, 0)


def test_a_loop_is_shown_at_its_question_in_chinese(staff_client, questions):
    questions[1].update({"next_1": "Q1", "delay_1": "5"})  # Q2a, 价格 → back to Q1
    html = post(staff_client, questions, "zh-hans")
    assert "题目 Q2a 转回第一题：问卷不能循环。" in question_box(html, 1)


def test_a_loop_the_first_question_never_reaches(staff_client, questions):
    questions[0].pop("next_3"), questions[0].pop("next_1")  # Q1 leads nowhere, but Q2a → Q2b → Q2a
    questions[1].update({"next_1": "Q2b"})
    questions[2].update({"next_1": "Q2a"})
    html = post(staff_client, questions)
    assert "Questions Q2a, Q2b branch to each other in a loop" in question_box(html, 1)


def test_a_branch_to_no_question(staff_client, questions):
    questions[0]["next_1"] = "Q9"
    html = post(staff_client, questions)
    assert "Question Q1 branches to an unknown question." in question_box(html, 0)


def test_a_survey_field_error_is_shown_at_the_field(staff_client, questions):
    response = staff_client.post(URL, post_data("满意度回访", questions, lists=["没有的名单"]))
    html = response.content.decode()
    field = re.search(r'class="form-row field-lists">(.*?)</div>\s*</div>', html, re.S).group(1)
    assert "Unknown contact lists: 没有的名单" in field
