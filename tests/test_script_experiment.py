"""Script experiments: contacts split by the variants' shares (within 2 % over 10,000), each
contact's variant stored and kept on retries, its menu dialled and its keys read through it;
the dashboard compares the variants with intervals and chi-square tests; the export names the
variant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns import experiments, transitions
from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, Contact, ContactList, MenuOption, MenuTemplate, ScriptVariant
from results import stats
from tests.actors import OPERATOR
from tests.dialling import RecordingClient
from tests.receipt_elements import record
from tests.test_results_export import read_csv

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def reversed_menu(menu) -> MenuTemplate:
    """Variant B: another wording (its own TTS code) and the keys in the opposite order."""
    other = MenuTemplate.objects.create(name="满意度调查 B", start_code="TTS_B00001", start_tts_params="{}")
    for position, (key, label) in enumerate([("1", "不满意"), ("2", "一般"), ("3", "满意")]):
        MenuOption.objects.create(template=other, key=key, label=label, code=f"TTS_B0000{key}", position=position)
    return other


def experiment(caller, menu, other, contacts: int, weights=(1, 1)) -> Campaign:
    people = ContactList.objects.create(name=f"实验名单 {contacts}")
    Contact.objects.bulk_create(
        Contact(contact_list=people, phone=f"135{n:08d}", variables={"product": "宽带"}) for n in range(contacts)
    )
    campaign = Campaign.objects.create(
        name="措辞实验", menu=menu, daily_start=dt.time(0, 0), daily_end=dt.time(0, 0), max_attempts=2
    )
    campaign.contact_lists.add(people)
    campaign.caller_numbers.add(caller)
    ScriptVariant.objects.create(campaign=campaign, name="A", menu=menu, weight=weights[0])
    ScriptVariant.objects.create(campaign=campaign, name="B", menu=other, weight=weights[1])
    return campaign


def test_ten_thousand_contacts_split_within_two_percent_of_the_ratio(caller, menu, reversed_menu):
    campaign = experiment(caller, menu, reversed_menu, 10_000, weights=(7, 3))
    actions.do_start_campaign(campaign, actor=OPERATOR)

    calls = Call.objects.filter(campaign=campaign)
    assert not calls.filter(variant="").exists()
    share_a = calls.filter(variant="A").count() / calls.count()
    assert abs(share_a - 0.7) < 0.02
    # Deterministic: drawing again gives every contact the variant it has.
    sample = list(calls.order_by("pk").values_list("phone", "variant")[:500])
    assert all(experiments.pick(campaign.pk, phone, ["A", "B"], [7, 3]) == v for phone, v in sample)


def test_each_call_plays_its_variant_and_a_retry_keeps_it(caller, menu, reversed_menu, redis_conn, post_receipts):
    campaign = experiment(caller, menu, reversed_menu, 40)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()
    dispatch.dial_campaign(campaign.pk, max_seconds=30, client=client)

    variant_of = dict(Call.objects.filter(campaign=campaign).values_list("phone", "variant"))
    assert set(variant_of.values()) == {"A", "B"}
    for request in client.requests:
        assert request.start_code == ("TTS_100001" if variant_of[request.called_number] == "A" else "TTS_B00001")

    # Key 1 means 满意 in A and 不满意 in B; a no-answer is retried with the same variant.
    placed = list(Call.objects.filter(campaign=campaign, status=S.PLACED).order_by("pk"))
    answered, missed = placed[:-1], placed[-1]
    post_receipts(
        [{**record(0, dtmf="1", call_id=c.call_id), "out_id": c.out_id} for c in answered]
        + [{**record(0, "200003", start="", duration="0", call_id=missed.call_id), "out_id": missed.out_id}]
    )
    for call in answered:
        call.refresh_from_db()
        assert call.answer_label == ("满意" if call.variant == "A" else "不满意")
    retry = Call.objects.get(campaign=campaign, phone=missed.phone, attempt=2)
    assert retry.variant == missed.variant and retry.status == S.QUEUED


def finished_experiment(caller, menu, other) -> Campaign:
    """200 contacts; A: 60 of 100 complete (45 满意), B: 40 of 100 (10 满意); the rest no answer."""
    campaign = experiment(caller, menu, other, 200)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    plan = {"A": [("1", 45), ("3", 15)], "B": [("3", 10), ("1", 30)]}  # key 3 is 满意 in B
    for name, answers in plan.items():
        ids = list(Call.objects.filter(campaign=campaign, variant=name).order_by("pk").values_list("pk", flat=True))
        ids = ids[:100] if len(ids) >= 100 else ids
        start = 0
        for key, n in answers:
            Call.objects.filter(pk__in=ids[start : start + n]).update(status=S.ANSWERED, answer_key=key)
            start += n
        Call.objects.filter(pk__in=ids[start:]).update(status=S.NO_ANSWER)
    Call.objects.filter(campaign=campaign, status=S.QUEUED).update(status=S.NO_ANSWER)
    return campaign


def test_the_dashboard_compares_the_variants(staff_client, caller, menu, reversed_menu):
    campaign = finished_experiment(caller, menu, reversed_menu)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = staff_client.get(reverse("results:dashboard", args=[campaign.pk]))
    page = response.content.decode()
    assert "话术实验" in page
    assert 'data-variant="A"' in page and 'data-variant="B"' in page
    assert "χ²" in page

    from results.rates import campaign_rates

    comparison = campaign_rates(campaign)["experiment"]
    a, b = comparison["variants"]
    shares = {row["name"]: {x["label"]: x["share"] for x in row["answers"]} for row in (a, b)}
    # By label, whatever the key: A 45 满意 of 60, B 10 满意 of 40.
    assert shares["A"]["满意"] == 75.0 and shares["B"]["满意"] == 25.0
    assert a["RR1"]["low"] < a["RR1"]["share"] < a["RR1"]["high"]
    assert comparison["answer_test"]["p_value"] < 0.001


def test_the_export_names_each_contacts_variant(staff_client, caller, menu, reversed_menu):
    campaign = finished_experiment(caller, menu, reversed_menu)
    rows = read_csv(staff_client.get(reverse("results:export", args=[campaign.pk, "csv"])))
    column = rows[0].index("script variant")
    assert {row[column] for row in rows[1:]} == {"A", "B"}


def test_the_statistics_match_the_tables():
    assert stats.chi_square_sf(3.841459, 1) == pytest.approx(0.05, abs=1e-6)
    assert stats.chi_square_sf(5.991465, 2) == pytest.approx(0.05, abs=1e-6)
    assert stats.chi_square_sf(18.307038, 10) == pytest.approx(0.05, abs=1e-6)
    assert stats.chi_square_sf(0.454936, 1) == pytest.approx(0.5, abs=1e-5)
    test = stats.chi_square_test([[30, 70], [50, 50]])
    assert test["statistic"] == pytest.approx(8.333, abs=1e-3) and test["df"] == 1
    assert test["p_value"] == pytest.approx(0.003892, abs=1e-5)
    low, high = stats.wilson(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    assert stats.chi_square_test([[5, 0], [3, 0]]) is None  # one column left: nothing to test


def test_without_two_variants_nothing_changes(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    assert not Call.objects.filter(campaign=campaign).exclude(variant="").exists()
    assert "variants" not in Campaign.objects.get(pk=campaign.pk).menu_snapshot
    transitions.do_expire_calls(campaign, timezone.now())
