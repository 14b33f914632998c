"""A three-question branching survey made in the admin's designer is the survey its file makes:
the same questions, branches and delays, the same JSON; exported, the file loads back."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from surveys import definition
from surveys.models import Survey
from tests.designer_forms import QUESTIONS, URL, equivalent_file, post_data, three_menus

pytestmark = pytest.mark.django_db


def shape(survey: Survey) -> list[tuple]:
    return [
        (q.code, q.menu.name, q.parent.code if q.parent else None, q.parent_answer, q.delay_seconds,
         q.max_attempts, q.retry_delay_seconds, q.position)
        for q in survey.questions.select_related("menu", "parent").order_by("position")
    ]  # fmt: skip


def test_the_designer_makes_the_survey_its_file_makes(staff_client, staff_user, caller, contact_list, tmp_path):
    three_menus()
    page = staff_client.get(URL)
    assert page.status_code == 200
    assert b'"answer": "\\u4e0d\\u6ee1\\u610f"' in page.content  # the menus' answers, for the page's script

    response = staff_client.post(URL, post_data("满意度回访", QUESTIONS))
    html = response.content.decode()
    assert response.status_code == 302, html[html.find("content-main") :][:6000]
    designed = Survey.objects.get(name="满意度回访")
    assert designed.state == Survey.State.DRAFT
    assert set(designed.contact_lists.all()) == {contact_list} and set(designed.caller_numbers.all()) == {caller}

    loaded = definition.load(equivalent_file("从文件"), actor=definition.Actor.system("test"))
    assert shape(designed) == shape(loaded)
    assert shape(designed)[1] == ("Q2a", "不满意原因", "Q1", "不满意", 1800, 1, 7200, 1)
    assert designed.definition == equivalent_file("满意度回访")
    event = AuditEvent.objects.get(event="survey.designed")
    assert event.actor_user_id == staff_user.pk and event.object_id == str(designed.pk)

    exported = staff_client.get(f"/admin/surveys/survey/{designed.pk}/export/")
    assert exported["Content-Disposition"].startswith("attachment")
    file = json.loads(exported.content.decode())
    assert file == equivalent_file("满意度回访")

    file["name"] = "再次载入"
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(file, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("survey", "load", str(path), stdout=out)
    assert shape(Survey.objects.get(pk=int(out.getvalue().split()[-1]))) == shape(designed)
