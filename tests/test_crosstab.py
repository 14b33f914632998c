"""Cross-tab by a contact variable: counts, answer rate, scores and the top-N cut, against hand-computed cases."""

import csv
import io

import pytest

from campaigns.models import MenuOption
from receipts.models import CrosstabSnapshot
from results import crosstab
from tests.results_fixtures import OUTCOMES, finished_campaign

pytestmark = pytest.mark.django_db

CITY = {"01": "杭州", "02": "杭州", "03": "杭州", "04": "杭州", "05": "杭州",
        "06": "温州", "07": "温州", "11": "温州", "12": "温州", "08": "宁波", "10": "宁波"}  # fmt: skip


@pytest.fixture
def done(caller, menu):
    MenuOption.objects.filter(template=menu, key="1").update(score=5)
    MenuOption.objects.filter(template=menu, key="2").update(score=3)
    MenuOption.objects.filter(template=menu, key="3").update(score=1)
    variables = {
        phone: ({"city": CITY[phone[-2:]], "product": "宽带"} if phone[-2:] in CITY else {"product": "宽带"})
        for phone in OUTCOMES
    }
    return finished_campaign(caller, menu, variables=variables)


def data(client, campaign, by):
    response = client.get(f"/receipts/campaigns/{campaign.pk}/dashboard/data/", {"by": by})
    assert response.status_code == 200
    return response.json()


def test_answers_answer_rate_and_mean_score_per_value(staff_client, done):
    chart = data(staff_client, done, "city")["charts"]["crosstab"]

    assert chart["table"]["columns"] == [
        "city", "Contacts", "Dialled", "Answered", "Answer rate %", "1: 满意", "2: 一般", "3: 不满意", "Mean score",
    ]  # fmt: skip
    assert chart["table"]["rows"] == [
        ["杭州", 5, 5, 4, 80.0, 1, 0, 2, 2.33],  # (5 + 1 + 1) / 3 scored answers; one pressed nothing
        ["温州", 4, 4, 2, 50.0, 1, 1, 0, 4.0],
        ["宁波", 2, 2, 0, 0.0, 0, 0, 0, None],
        ["(blank)", 1, 1, 0, 0.0, 0, 0, 0, None],
    ]
    assert chart["labels"] == ["杭州", "温州", "宁波", "(blank)"]
    assert chart["stacked"] is True
    assert [d["data"] for d in chart["datasets"]] == [[1, 1, 0, 0], [0, 1, 0, 0], [2, 0, 0, 0], [1, 0, 0, 0]]


def test_values_past_the_top_are_merged_into_other(staff_client, done, monkeypatch):
    monkeypatch.setattr(crosstab, "TOP", 2)
    rows = data(staff_client, done, "city")["charts"]["crosstab"]["table"]["rows"]
    assert [r[:4] for r in rows] == [["杭州", 5, 5, 4], ["温州", 4, 4, 2], ["Other (2 values)", 3, 3, 0]]


def test_the_table_is_stored_and_served_until_stale(staff_client, done):
    data(staff_client, done, "city")
    snapshot = CrosstabSnapshot.objects.get(campaign=done, variable="city")
    assert snapshot.table["values"][0][0] == "杭州"

    snapshot.table = {"values": [["上海", [["answered", "1", True, 7]]]], "other": [], "other_values": 0}
    snapshot.save()
    rows = data(staff_client, done, "city")["charts"]["crosstab"]["table"]["rows"]
    assert rows[0][:4] == ["上海", 7, 7, 7]  # served from the stored table, not recomputed


def test_a_big_campaign_asks_a_worker_and_says_so(staff_client, done, monkeypatch):
    asked = []
    monkeypatch.setattr(crosstab, "request_refresh", lambda campaign, variable, now: asked.append(variable))
    snapshot = crosstab.current(done, "city", cheap=False)
    assert snapshot.computed_at is None and asked == ["city"]
    assert crosstab.build(done, "city", snapshot)["pending"] is True

    crosstab.refresh_job(done.pk, "city")  # what the worker runs
    assert CrosstabSnapshot.objects.get(campaign=done, variable="city").computed_at is not None


def test_unknown_variable_is_ignored_on_the_dashboard_and_404_on_export(staff_client, done):
    assert "crosstab" not in data(staff_client, done, "colour")["charts"]
    assert staff_client.get(f"/receipts/campaigns/{done.pk}/crosstab/export/", {"by": "colour"}).status_code == 404


def test_export_is_the_table_as_csv(staff_client, done):
    response = staff_client.get(f"/receipts/campaigns/{done.pk}/crosstab/export/", {"by": "city"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["city", "Contacts", "Dialled", "Answered", "Answer rate %"]
    assert rows[1] == ["杭州", "5", "5", "4", "80.0", "1", "0", "2", "2.33"]
    assert rows[3][-1] == ""  # no score: empty cell


def test_export_of_a_big_campaign_waits_for_the_worker(staff_client, done, monkeypatch):
    from results.aggregates import current_snapshot

    asked = []
    monkeypatch.setattr(crosstab, "request_refresh", lambda campaign, variable, now: asked.append(variable))
    snapshot = current_snapshot(done)
    snapshot.compute_ms = 5000  # a cube this dear means a big campaign: nothing heavy in the request
    snapshot.save()

    response = staff_client.get(f"/receipts/campaigns/{done.pk}/crosstab/export/", {"by": "city"})

    assert response.status_code == 503 and asked == ["city"]
    assert not CrosstabSnapshot.objects.get(campaign=done, variable="city").table
