"""AAPOR rates on a campaign dialled through the voice simulator match a hand count of the
simulator's own receipts (issue 25's "done when"); the dashboard shows them in both languages
and the export carries each contact's disposition."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Contact, MenuOption
from results import rates
from results.dispositions import outcome_of
from tests.actors import OPERATOR
from tests.results_fixtures import finished_campaign
from tests.test_results_export import read_csv
from tests.test_voice_simulator import Receiver

pytestmark = pytest.mark.django_db
KEY_ID, SECRET = "LTAI-rates", "rates-secret"
CONTACTS = 120
OPT_OUT_KEY = "9"


@pytest.fixture
def simulated(settings, start_simulator, campaign, contact_list, menu, redis_conn):
    """A started campaign of 120 contacts over the simulator (every outcome it knows), menu key 9 opts out."""
    receiver = Receiver()
    simulator = start_simulator(keys={KEY_ID: SECRET}, seed=25, receipt_url=receiver.url, receipt_flush_interval=0.05)
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = KEY_ID, SECRET
    settings.ALIYUN_VOICE_ENDPOINT = simulator.url
    settings.CALLEE_LIMITS = []  # the retries follow at once here, not a minute later
    MenuOption.objects.create(template=menu, key=OPT_OUT_KEY, label="退订", code="TTS_9", opt_out=True, position=9)
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1391111{n:04d}", variables={"product": "宽带"})
        for n in range(CONTACTS - 5)
    )
    actions.do_start_campaign(campaign, actor=OPERATOR)
    yield campaign, simulator, receiver
    receiver.close()


def dial_round(campaign, simulator, receiver, post_receipts, seen: int) -> list[dict]:
    """Dial every due call, wait for the simulator's final receipts, hand them to our webhook."""
    for _round in range(10):  # a loaded machine may leave the pacer without a slot: go on
        dispatch.dial_campaign(campaign.pk, max_seconds=60)
        if not Call.objects.filter(campaign=campaign, status=Call.Status.QUEUED, due_at__lte=timezone.now()).exists():
            break
    placed = simulator.stats.snapshot()["placed"]
    receiver.wait(lambda r: sum(1 for x in r.records if x["status_code"] != "300000") == placed, timeout=20)
    new = receiver.records[seen:]
    post_receipts(new)
    return new


def hand_group(record: dict) -> str:
    """The AAPOR group of one final receipt, by hand: a menu key is a complete, 9 a refusal."""
    if record["status_code"] == "200000":
        if not record["dtmf"]:
            return "UO"
        return "R" if record["dtmf"] == OPT_OUT_KEY else "I"
    return "UH"


def by_hand(groups: Counter) -> dict:
    i, r, unknown = groups["I"], groups["R"], groups["UH"] + groups["UO"]
    total = i + r + unknown
    return {
        "RR1": round(i / total, 4),
        "COOP1": round(i / (i + r), 4),
        "REF1": round(r / total, 4),
        "CON1": round((i + r) / total, 4),
    }


def test_rates_of_a_simulated_campaign_match_a_hand_count(simulated, post_receipts):
    campaign, simulator, receiver = simulated
    first = dial_round(campaign, simulator, receiver, post_receipts, 0)
    # The retries (no answer, busy, unreachable) are due a minute later: make them due now.
    Call.objects.filter(campaign=campaign, status=Call.Status.QUEUED).update(due_at=timezone.now())
    second = dial_round(campaign, simulator, receiver, post_receipts, len(receiver.records))

    finals = [[r for r in batch if r["status_code"] != "300000"] for batch in (first, second)]
    assert len(finals[0]) == CONTACTS and 0 < len(finals[1]) < CONTACTS
    latest = {r["callee"]: r for batch in finals for r in batch}  # the second round overrides the first
    overall = Counter(hand_group(r) for r in latest.values())
    per_attempt = [Counter(hand_group(r) for r in batch) for batch in finals]
    assert overall["I"] and overall["R"] and overall["UO"] and overall["UH"]

    campaign.refresh_from_db()
    tables = rates.computed_now(campaign)

    assert {k: tables["overall"][k] for k in rates.RATE_NAMES} == by_hand(overall)
    assert tables["overall"]["cases"] == CONTACTS
    assert [row["label"] for row in tables["by_attempt"]] == ["1", "2"]
    for row, hand in zip(tables["by_attempt"], per_attempt, strict=True):
        assert row["cases"] == sum(hand.values())
        assert row["RR1"] == round(hand["I"] / sum(hand.values()), 4)
        assert row["REF1"] == round(hand["R"] / sum(hand.values()), 4)
    # One caller number, one calling day: both hold every attempt made.
    attempts = sum(per_attempt, Counter())
    for table in ("by_caller", "by_day", "by_list"):
        (row,) = tables[table]
        expected = attempts if table != "by_list" else overall
        assert row["cases"] == sum(expected.values()), table
        assert row["RR1"] == round(expected["I"] / sum(expected.values()), 4), table
    assert tables["by_day"][0]["label"] == timezone.localtime(timezone.now(), campaign.zone).date().isoformat()


def test_each_outcome_maps_to_one_disposition(caller, menu):
    campaign = finished_campaign(caller, menu)
    Call.objects.filter(campaign=campaign, phone="13900000006").update(
        status=Call.Status.CANCELLED, note={"code": "call.quota_full", "params": {}}
    )
    tables = rates.computed_now(campaign)
    counts = {d["outcome"]: d["count"] for d in tables["dispositions"]}
    # results_fixtures.OUTCOMES, each contact by its latest attempt, by hand:
    assert counts == {
        "complete": 5,  # 01, 02, 03, 11, 12
        "no_key": 1,  # 04
        "no_answer": 1,  # 05
        "quota_full": 1,  # 06
        "unreachable": 1,  # 07
        "failed": 1,  # 08
        "invalid": 1,  # 09
        "unknown": 1,  # 10
    }
    # Not eligible (invalid, quota full) are out of every denominator: 10 cases, 5 complete.
    assert tables["overall"]["cases"] == 10 and tables["overall"]["RR1"] == 0.5
    assert tables["overall"]["CON1"] == 0.5 and tables["overall"]["COOP1"] == 1.0


def test_the_outcome_of_an_answer_depends_on_its_key():
    opt_outs = frozenset({"9"})
    assert outcome_of(Call.Status.ANSWERED, "1", None, opt_outs) == "complete"
    assert outcome_of(Call.Status.ANSWERED, "9", None, opt_outs) == "opted_out"
    assert outcome_of(Call.Status.ANSWERED, "", None, opt_outs) == "no_key"
    assert outcome_of(Call.Status.DNC, "", None, opt_outs) == "dnc"
    assert outcome_of(Call.Status.CANCELLED, "", "call.quota_full", opt_outs) == "quota_full"
    assert outcome_of(Call.Status.CANCELLED, "", "call.branch_not_taken", opt_outs) == "off_branch"
    assert outcome_of(Call.Status.CANCELLED, "", "call.window_ended", opt_outs) == "not_attempted"


@pytest.mark.parametrize(
    ("language", "title", "name"), [("en", "Dispositions and rates", "Complete"), ("zh-hans", "处置与比率", "完成")]
)
def test_the_dashboard_shows_the_rates_in_both_languages(staff_client, caller, menu, language, title, name):
    campaign = finished_campaign(caller, menu)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = staff_client.get(reverse("results:dashboard", args=[campaign.pk]))
    page = response.content.decode()
    assert title in page and name in page
    assert "RR1" in page and "50.0%" in page  # 5 completes of 10 eligible-or-unknown contacts


def test_the_export_has_a_disposition_per_contact(staff_client, caller, menu):
    campaign = finished_campaign(caller, menu)
    rows = read_csv(staff_client.get(reverse("results:export", args=[campaign.pk, "csv"])))
    column = rows[0].index("AAPOR disposition")
    by_phone = {row[0]: row[column] for row in rows[1:]}
    assert by_phone["13900000002"].startswith("1.1 ")
    assert by_phone["13900000004"].startswith("3.21 ")
    assert by_phone["13900000009"].startswith("4.31 ")
    assert len(by_phone) == 12


def test_a_day_is_the_campaigns_local_day(caller, menu):
    campaign = finished_campaign(caller, menu)
    Call.objects.filter(campaign=campaign).update(sent_at=dt.datetime(2026, 11, 2, 17, 30, tzinfo=dt.UTC))
    tables = rates.computed_now(campaign)
    assert [row["label"] for row in tables["by_day"]] == ["2026-11-03"]  # 01:30 in Shanghai
