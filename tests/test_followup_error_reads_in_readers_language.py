"""Why a follow-up's copy failed is stored as a reason and worded when shown, in the language of
the staff member reading the follow-up's page, not of the worker that ran the copy."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from campaigns import followups
from campaigns.models import FollowupBuild
from campaigns.segments import parse_all
from tests.actors import OPERATOR
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_copy(caller, menu, monkeypatch):
    """A follow-up whose copy a worker speaking English ran, and the database refused."""
    source = finished_campaign(caller, menu)

    def refused(build, progress):
        raise RuntimeError("disk full")

    monkeypatch.setattr(followups, "copy_slices", refused)
    with translation.override("en"), pytest.raises(RuntimeError):
        followups.create_followup(source, "二期", parse_all(["status:answered"]), background=False, actor=OPERATOR)
    return FollowupBuild.objects.get(campaign__followup_of=source)


def test_the_failure_reads_in_chinese_to_a_chinese_reader(staff_client, failed_copy):
    assert failed_copy.status == FollowupBuild.Status.FAILED
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[failed_copy.campaign_id]))

    text = page.content.decode()
    assert "复制联系人因意外错误中止：disk full" in text
    assert "stopped on an unexpected error" not in text
