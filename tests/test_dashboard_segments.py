"""The dashboard's segments: counts, the link to their calls, export, the follow-up action; who may do what."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission

from results import analysis
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(caller, menu):
    return finished_campaign(caller, menu)


def test_every_segment_has_its_count_on_the_dashboard(staff_client, done):
    payload = staff_client.get(f"/receipts/campaigns/{done.pk}/dashboard/data/").json()
    counts = {row["code"]: row["count"] for row in payload["segments"]}
    assert counts["answer:不满意"] == 2
    assert counts["status:no_key"] == 1
    assert counts["status:no_answer"] == 1

    page = staff_client.get(f"/receipts/campaigns/{done.pk}/dashboard/").content.decode()
    assert 'value="answer:不满意"' in page
    assert "Follow-up campaign…" in page


def test_a_segment_count_links_to_exactly_its_calls(staff_client, done):
    (row,) = [r for r in analysis.segment_rows(done, _cube(done)) if r["code"] == "answer:满意"]
    response = staff_client.get(row["calls_url"])
    assert response.status_code == 200
    shown = sorted(call.phone for call in response.context["cl"].result_list)
    assert shown == ["13900000001", "13900000012"]  # 12's earlier busy attempt is not listed


def _cube(campaign):
    from results.aggregates import current_snapshot

    return current_snapshot(campaign).cube


def test_export_of_ticked_segments(staff_client, done):
    response = staff_client.get(
        f"/receipts/campaigns/{done.pk}/segments/", {"segment": ["answer:不满意", "status:busy"], "format": "csv"}
    )
    assert response.status_code == 302
    export = staff_client.get(response["Location"])
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == ["13900000002", "13900000003", "13900000006"]


def test_follow_up_action_opens_the_form_with_the_segments_ticked(staff_client, done):
    response = staff_client.get(
        f"/receipts/campaigns/{done.pk}/segments/", {"segment": ["answer:不满意", "status:no_key"], "do": "followup"}
    )
    form = staff_client.get(response["Location"]).context["form"]
    assert form.initial["segments"] == ["answer:不满意", "status:no_key"]


def test_a_bad_segment_is_404(staff_client, done):
    response = staff_client.get(f"/receipts/campaigns/{done.pk}/segments/export/csv/", {"segment": "status:nope"})
    assert response.status_code == 404


@pytest.fixture
def viewer(client, django_user_model):
    """Staff who may see campaign results but not contacts or calls."""
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(user)
    return client


def test_results_viewer_without_contact_rights_sees_counts_but_cannot_export_or_follow_up(viewer, done):
    page = viewer.get(f"/receipts/campaigns/{done.pk}/dashboard/").content.decode()
    assert "Segments" in page
    assert "Export (CSV)" not in page and "Follow-up campaign…" not in page
    assert 'href="/admin/campaigns/call/' not in page  # no link to calls they may not view
    base = f"/receipts/campaigns/{done.pk}"
    assert viewer.get(f"{base}/segments/export/csv/", {"segment": "status:busy"}).status_code == 403
    assert viewer.get(f"{base}/chain/export/csv/").status_code == 403
    assert viewer.get(f"/admin/campaigns/campaign/{done.pk}/followup/").status_code == 403
    assert viewer.post(f"/admin/campaigns/campaign/{done.pk}/followup/", {"name": "x"}).status_code == 403
    # the cross-tab is counts only: results viewers may export it
    assert viewer.get(f"{base}/crosstab/export/", {"by": "city"}).status_code == 200
