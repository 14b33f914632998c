"""The follow-up form in the admin, the links shown on both campaigns, and the chain on the dashboard and export."""

import csv
import io

import pytest

from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign, Contact, FollowupBuild
from tests.actors import OPERATOR
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(caller, menu):
    return finished_campaign(caller, menu)


def post_form(client, source, **fields):
    data = {"name": "不满意回访", "menu": source.menu_id, "segments": ["answer:不满意"], **fields}
    return client.post(f"/admin/campaigns/campaign/{source.pk}/followup/", data)


def test_form_creates_the_draft_and_both_pages_show_the_link(staff_client, done):
    form = staff_client.get(f"/admin/campaigns/campaign/{done.pk}/followup/").context["form"]
    assert ("answer:不满意", "Answer: 不满意 (2)") in form.fields["segments"].choices
    assert all(not label.endswith("(0)") for _code, label in form.fields["segments"].choices)

    response = post_form(staff_client, done, segments=["answer:不满意", "status:no_key"], max_attempts="1")

    followup = Campaign.objects.get(followup_of=done)
    assert response.status_code == 302 and response["Location"].endswith(f"/campaign/{followup.pk}/change/")
    assert followup.max_attempts == 1 and followup.retry_delay_seconds == done.retry_delay_seconds
    assert sorted(Contact.objects.filter(contact_list__campaigns=followup).values_list("phone", flat=True)) == [
        "13900000002", "13900000003", "13900000004",
    ]  # fmt: skip
    page = staff_client.get(response["Location"]).content.decode()
    assert "Follow-up of" in page and f"/admin/campaigns/campaign/{done.pk}/change/" in page
    assert "Answer: 不满意, Answered without a menu key" in page
    source_page = staff_client.get(f"/admin/campaigns/campaign/{done.pk}/change/").content.decode()
    assert "Follow-ups:" in source_page and f"/admin/campaigns/campaign/{followup.pk}/change/" in source_page


def test_form_errors_are_shown_and_nothing_is_created(staff_client, done):
    response = post_form(staff_client, done, segments=[])
    assert response.status_code == 200 and response.context["form"].errors["segments"]
    response = post_form(staff_client, done, list_name="回访一期 名单")
    assert "already exists" in response.content.decode()
    assert not Campaign.objects.filter(followup_of=done).exists()


def test_a_big_followup_shows_its_copy_progress(staff_client, done, settings, django_capture_on_commit_callbacks):
    settings.FOLLOWUP_INLINE_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=False):
        post_form(staff_client, done)
    followup = Campaign.objects.get(followup_of=done)
    page = staff_client.get(f"/admin/campaigns/campaign/{followup.pk}/change/").content.decode()
    assert "Copying the contacts: 0% (0 of 2)" in page
    assert 'http-equiv="refresh"' in page
    FollowupBuild.objects.filter(campaign=followup).update(status="failed", error={"text": "disk full"})
    page = staff_client.get(f"/admin/campaigns/campaign/{followup.pk}/change/").content.decode()
    assert "disk full" in page and 'http-equiv="refresh"' not in page


def test_dashboard_of_a_followup_shows_the_chain_and_the_export_joins_it(staff_client, done):
    post_form(staff_client, done, segments=["answer:不满意", "status:no_answer"])
    followup = Campaign.objects.get(followup_of=done)
    actions.do_start_campaign(followup, actor=OPERATOR)
    Call.objects.filter(campaign=followup, phone="13900000002").update(
        status=Call.Status.ANSWERED, answer_key="1", answer_label="满意"
    )
    Call.objects.filter(campaign=followup, phone="13900000005").update(status=Call.Status.BUSY)

    payload = staff_client.get(f"/receipts/campaigns/{followup.pk}/dashboard/data/").json()
    first, second = payload["chain"]
    assert (first["name"], first["current"], first["followup_of"]) == ("回访一期", False, None)
    assert (second["current"], second["followup_of"], second["contacts"]) == (True, "回访一期", 3)
    assert second["origin"] == "Answer: 不满意, No answer"
    assert [(a["label"], a["count"]) for a in second["answers"]] == [("满意", 1), ("一般", 0), ("不满意", 0)]
    page = staff_client.get(f"/receipts/campaigns/{followup.pk}/dashboard/").content.decode()
    assert "Chain of campaigns" in page

    export = staff_client.get(f"/receipts/campaigns/{followup.pk}/chain/export/csv/")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    assert header[-2:] == [f"回访一期 (#{done.pk})", f"不满意回访 (#{followup.pk})"]
    assert len(body) == 12  # one row per contact of the first campaign
    assert body["13900000002"][-2:] == ["不满意", "满意"]
    assert body["13900000005"][-2:] == ["no answer", "busy"]
    assert body["13900000003"][-2:] == ["不满意", "queued"]
    assert body["13900000001"][-2:] == ["满意", ""]  # not called again
