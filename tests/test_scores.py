"""Scores: mean, distribution and NPS against hand-computed cases; the menu declares the scale."""

import json

import pytest
from django.core.management import call_command

from campaigns.models import MenuTemplate
from results import scores

NPS_SCALE = {str(k): float(k) for k in range(10)} | {"*": 10.0}  # keys 0–9 and * for 10


def test_nps_is_promoters_minus_detractors_in_percent():
    # 10 answers: promoters 9,10,10,9 (4) · passives 7,8 (2) · detractors 0,3,6,6 (4)
    counts = {"9": 2, "*": 2, "7": 1, "8": 1, "0": 1, "3": 1, "6": 2}
    result = scores.summary(counts, NPS_SCALE)
    assert (result["promoters"], result["passives"], result["detractors"]) == (4, 2, 4)
    assert result["nps"] == 0.0
    assert result["mean"] == round((9 * 2 + 10 * 2 + 7 + 8 + 0 + 3 + 6 * 2) / 10, 2)  # 6.8


def test_nps_all_promoters_and_one_detractor():
    assert scores.summary({"*": 3}, NPS_SCALE)["nps"] == 100.0
    assert scores.summary({"*": 2, "5": 1}, NPS_SCALE)["nps"] == 33.3  # (2 − 1) / 3


def test_csat_mean_has_no_nps_and_ignores_unscored_keys():
    csat = {"1": 1.0, "2": 2.0, "3": 3.0, "4": 4.0, "5": 5.0}
    result = scores.summary({"5": 3, "4": 1, "1": 1, "#": 7, "": 4}, csat)
    assert result == {"n": 5, "mean": 4.0, "nps": None}  # (5·3 + 4 + 1) / 5


def test_no_scored_answer_means_no_figures():
    assert scores.summary({}, NPS_SCALE)["mean"] is None
    assert scores.summary({"#": 2}, NPS_SCALE)["nps"] is None


def test_only_a_zero_to_ten_scale_is_nps():
    assert scores.is_nps(NPS_SCALE)
    assert not scores.is_nps({"1": 1, "2": 5})
    assert not scores.is_nps({})


@pytest.mark.django_db
def test_menu_load_declares_the_scale_and_the_frozen_menu_keeps_it(tmp_path):
    path = tmp_path / "nps.json"
    options = [{"key": str(k), "label": f"{k}分", "score": k} for k in range(10)]
    options.append({"key": "*", "label": "10分", "score": 10})
    options.append({"key": "#", "label": "转人工"})
    path.write_text(json.dumps({"name": "NPS", "start_code": "TTS_1", "options": options}, ensure_ascii=False))

    call_command("menu", "load", str(path))

    snapshot = MenuTemplate.objects.get(name="NPS").snapshot()
    assert scores.scale_of(snapshot["options"]) == NPS_SCALE
    assert scores.is_nps(scores.scale_of(snapshot["options"]))


@pytest.mark.django_db
def test_dashboard_shows_mean_nps_distribution_and_over_time(staff_client, caller):
    import datetime as dt

    from campaigns.models import Call, MenuOption
    from tests.results_fixtures import finished_campaign

    menu = MenuTemplate.objects.create(name="NPS", start_code="TTS_1")
    for key, score in [("1", 10), ("2", 8), ("3", 0)]:
        MenuOption.objects.create(template=menu, key=key, label=f"{score}分", score=score)
    campaign = finished_campaign(caller, menu)
    # Latest answers (see results_fixtures): keys 1 ×2 (10), 2 ×1 (8), 3 ×2 (0), one without a key.
    # Move phone 12's answer a week on: over more than three days, the buckets are days.
    Call.objects.filter(campaign=campaign, phone="13900000012", is_latest=True).update(
        answered_at=dt.datetime(2026, 11, 9, 3, 0, tzinfo=dt.UTC)
    )

    payload = staff_client.get(f"/receipts/campaigns/{campaign.pk}/dashboard/data/").json()

    assert payload["score"]["n"] == 5
    assert payload["headline"]["score_mean"] == 5.6  # (10·2 + 8 + 0·2) / 5
    assert payload["headline"]["nps"] == 0.0  # 2 promoters − 2 detractors of 5
    assert payload["charts"]["score_distribution"]["table"]["rows"] == [
        ["1: 10分 (10)", 2, 40.0],
        ["2: 8分 (8)", 1, 20.0],
        ["3: 0分 (0)", 2, 40.0],
    ]
    over_time = payload["charts"]["score_over_time"]["table"]
    assert over_time["columns"] == ["Time", "Scored answers", "Mean score", "NPS"]
    assert over_time["rows"] == [["2026-11-02", 4, 4.5, -25.0], ["2026-11-09", 1, 10.0, 100.0]]
