"""The designer needs the survey add permission (a draft: change); starting from the admin needs
change survey and add/change campaign; a user without them is refused and nothing is saved."""

from __future__ import annotations

import pytest

from surveys.models import Survey
from tests.designer_forms import QUESTIONS, URL, post_data, three_menus

pytestmark = pytest.mark.django_db


def test_the_designer_is_refused_without_the_add_permission(login_with, caller, contact_list):
    three_menus()
    client = login_with("view_survey", "change_survey")
    assert client.get(URL).status_code == 403
    assert client.post(URL, post_data("满意度回访", QUESTIONS)).status_code == 403
    assert not Survey.objects.exists()


def test_a_user_with_the_add_permission_saves_but_may_not_start(login_with, caller, contact_list):
    three_menus()
    client = login_with("add_survey", "view_survey", "change_survey")
    assert client.post(URL, post_data("满意度回访", QUESTIONS)).status_code == 302
    survey = Survey.objects.get()
    assert "survey-start-link" not in client.get(f"/admin/surveys/survey/{survey.pk}/change/").content.decode()
    assert client.post(f"/admin/surveys/survey/{survey.pk}/start/").status_code == 403
    survey.refresh_from_db()
    assert survey.state == Survey.State.DRAFT
