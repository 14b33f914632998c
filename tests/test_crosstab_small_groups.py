"""A cross-tab names nobody to a user who may not export results: a value shared by fewer than
five contacts (`by=email`) goes to "other"; a user who may export results sees every value."""

import pytest

from tests.test_crosstab import (
    data,
    done,  # noqa: F401 (the campaign with a `city` per contact)
)

pytestmark = pytest.mark.django_db


def test_small_groups_go_to_other_for_a_campaign_viewer(login_with, request):
    campaign = request.getfixturevalue("done")
    viewer_client = login_with("view_campaign")
    chart = data(viewer_client, campaign, "city")["charts"]["crosstab"]
    assert chart["labels"] == ["杭州", "Other (3 values)"]
    assert [row[:2] for row in chart["table"]["rows"]] == [["杭州", 5], ["Other (3 values)", 7]]

    export = viewer_client.get(f"/receipts/campaigns/{campaign.pk}/crosstab/export/", {"by": "city"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "温州" not in text and "宁波" not in text


def test_a_user_who_may_export_results_sees_every_value(staff_client, request):
    campaign = request.getfixturevalue("done")
    chart = data(staff_client, campaign, "city")["charts"]["crosstab"]
    assert chart["labels"] == ["杭州", "温州", "宁波", "(blank)"]
