"""A draft opened in the designer shows its questions and branches and saves back in place
(audited); the admin's start action starts it as `survey start` does, recording who."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from campaigns.models import Campaign
from surveys.models import Survey
from tests.designer_forms import QUESTIONS, URL, post_data, three_menus

pytestmark = pytest.mark.django_db


def test_a_draft_changed_in_the_designer_then_started(staff_client, staff_user, caller, contact_list):
    three_menus()
    assert staff_client.post(URL, post_data("满意度回访", QUESTIONS)).status_code == 302
    survey = Survey.objects.get()
    designer_url = f"/admin/surveys/survey/{survey.pk}/designer/"

    page = staff_client.get(designer_url).content.decode()
    assert 'value="Q2a" selected' in page and 'value="45"' in page

    changed = [dict(q) for q in QUESTIONS]
    changed[0]["delay_1"] = "60"
    response = staff_client.post(designer_url, post_data("满意度回访", changed, initial=3))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert survey.questions.get(code="Q2b").delay_seconds == 3600
    assert AuditEvent.objects.filter(event="survey.changed", object_id=str(survey.pk)).count() == 1

    change_page = staff_client.get(f"/admin/surveys/survey/{survey.pk}/change/").content.decode()
    assert "survey-start-link" in change_page
    assert staff_client.post(f"/admin/surveys/survey/{survey.pk}/start/").status_code == 302
    survey.refresh_from_db()
    assert survey.state == Survey.State.RUNNING
    assert Campaign.objects.filter(survey_question__survey=survey).count() == 3
    started = AuditEvent.objects.get(event="survey.started")
    assert started.actor_user_id == staff_user.pk
    assert staff_client.get(designer_url).status_code == 302  # a running survey is not changed
    assert staff_client.post(f"/admin/surveys/survey/{survey.pk}/start/").status_code == 302  # nor started again
    assert AuditEvent.objects.filter(event="survey.started").count() == 1
