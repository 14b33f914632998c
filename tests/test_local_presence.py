"""Local presence (issue 26): a call goes out on a caller number in the callee's city when one has
room, else the province, else any (local first), or waits (local only)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch, local
from campaigns.forecast import campaign_forecast, summary
from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList
from tests.actors import OPERATOR
from tests.dialling import RecordingClient
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db

# Mobile prefixes by callee city (phonenumbers' data), and landline caller numbers in three of them.
CALLEES = {"南京市": "1300006", "杭州市": "1300428", "成都市": "1301081", "苏州市": "1301045", "北京市": "1300010"}
CALLERS = {"南京市": ["02588880001", "02588880002"], "杭州市": ["057188880001", "057188880002"]}
CALLERS["成都市"] = ["02888880001", "02888880002"]


@pytest.fixture(autouse=True)
def fresh_indexes():
    local.forget_indexes()
    yield
    local.forget_indexes()


def _campaign(menu, per_city: int, cities=CALLEES, presence=Campaign.LocalPresence.FIRST, cap=50) -> Campaign:
    contacts = ContactList.objects.create(name="全国")
    Contact.objects.bulk_create(
        Contact(contact_list=contacts, phone=f"{prefix}{n:04d}", name=f"{city}{n}", variables={"product": "宽带"})
        for city, prefix in cities.items()
        for n in range(per_city)
    )
    campaign = Campaign.objects.create(name="local", menu=menu, local_presence=presence)
    campaign.daily_end = campaign.daily_start  # all day
    campaign.save()
    campaign.contact_lists.add(contacts)
    for numbers in CALLERS.values():
        for number in numbers:
            campaign.caller_numbers.add(CallerNumber.objects.create(number=number, max_concurrent_calls=cap))
    actions.do_start_campaign(campaign, actor=OPERATOR)
    return campaign


def _claim_all(campaign: Campaign) -> list[Call]:
    claimed: list[Call] = []
    while batch := dispatch.claim(campaign):
        claimed += batch
    return claimed


def test_caller_numbers_know_their_province_city_and_carrier(db):
    landline = CallerNumber.objects.create(number="02588880009")
    mobile = CallerNumber.objects.create(number="13000060001")
    edited = CallerNumber.objects.create(number="02588880008", city="江宁区")

    assert (landline.province, landline.city) == ("江苏省", "南京市")
    assert (mobile.province, mobile.city, mobile.carrier) == ("江苏省", "南京市", "中国联通")
    assert edited.city == "江宁区"  # what staff typed stays


def test_local_first_gives_callees_a_number_in_their_city(menu):
    campaign = _campaign(menu, per_city=20)

    claimed = _claim_all(campaign)

    assert len(claimed) == 100  # everyone is dialled, local or not
    in_served_cities = [c for c in claimed if c.contact.name[:3] in CALLERS]
    same_city = [c for c in in_served_cities if c.caller_number.number in CALLERS[c.contact.name[:3]]]
    assert len(same_city) >= 0.95 * len(in_served_cities)
    assert {c.local for c in same_city} == {Call.Local.CITY}
    suzhou = [c for c in claimed if c.contact.name.startswith("苏州市")]
    assert {c.caller_number.number for c in suzhou} <= set(CALLERS["南京市"])  # same province
    assert {c.local for c in suzhou} == {Call.Local.PROVINCE}
    assert {c.local for c in claimed if c.contact.name.startswith("北京市")} == {Call.Local.NONE}


def test_busy_local_numbers_fall_back_to_others(menu):
    campaign = _campaign(menu, per_city=4, cities={"南京市": CALLEES["南京市"]}, cap=1)
    nanjing = CallerNumber.objects.filter(number__in=CALLERS["南京市"])
    _hold_every_slot(campaign, nanjing)

    claimed = _claim_all(campaign)

    assert len(claimed) == 4  # on the 4 numbers elsewhere, one call each: none waits for Nanjing
    assert all(c.caller_number.number not in CALLERS["南京市"] for c in claimed)
    assert {c.local for c in claimed} == {Call.Local.NONE}


def test_local_only_waits_for_a_local_number(menu):
    campaign = _campaign(menu, per_city=4, cities={"南京市": CALLEES["南京市"], "北京市": CALLEES["北京市"]})
    campaign.local_presence = Campaign.LocalPresence.ONLY
    campaign.save()
    nanjing = CallerNumber.objects.filter(number__in=CALLERS["南京市"])
    CallerNumber.objects.filter(pk__in=nanjing).update(max_concurrent_calls=1)
    _hold_every_slot(campaign, nanjing)

    assert _claim_all(campaign) == []  # Nanjing's numbers are busy; Beijing has none at all
    Call.objects.filter(campaign__name="holder").update(status=Call.Status.ANSWERED)

    claimed = _claim_all(campaign)
    assert len(claimed) == 2 and {c.caller_number.number for c in claimed} == set(CALLERS["南京市"])
    assert Call.objects.filter(campaign=campaign, status=Call.Status.QUEUED).count() == 6  # 2 of Nanjing, Beijing's 4


def test_dial_job_sends_each_call_from_the_callees_city(menu):
    campaign = _campaign(menu, per_city=10, cities={c: CALLEES[c] for c in CALLERS})
    client = RecordingClient()

    dispatch.dial_campaign(campaign.pk, max_seconds=30, client=client)

    shown = {r.called_number: r.called_show_number for r in client.requests}
    assert len(shown) == 30
    city_of = {number: city for city, numbers in CALLERS.items() for number in numbers}
    prefix_city = {prefix: city for city, prefix in CALLEES.items()}
    local_share = sum(city_of[caller] == prefix_city[callee[:7]] for callee, caller in shown.items()) / 30
    assert local_share >= 0.95


def test_choosing_costs_no_query_per_call(menu, django_assert_max_num_queries):
    campaign = _campaign(menu, per_city=20)
    dispatch.claim(campaign)  # builds the number index
    # Per batch: numbers (aggregate, local ones, others), capacity, the due calls, one UPDATE per
    # caller number and locality, the claimed calls: nothing per call.
    with django_assert_max_num_queries(13):
        assert len(dispatch.claim(campaign)) == 20


def _hold_every_slot(campaign: Campaign, numbers) -> None:
    """One placed call per slot of these numbers (from another campaign's contacts)."""
    holder_list = ContactList.objects.create(name="holder")
    holder = Campaign.objects.create(name="holder", menu=campaign.menu)
    for n, number in enumerate(numbers):
        for slot in range(number.max_concurrent_calls or 1):
            contact = Contact.objects.create(contact_list=holder_list, phone=f"1390000{n:02d}{slot:02d}")
            Call.objects.create(
                campaign=holder,
                contact=contact,
                phone=contact.phone,
                status=Call.Status.PLACED,
                caller_number=number,
                sent_at=timezone.now(),
            )


def test_dashboard_shows_the_answer_rate_local_and_not(menu, staff_client, post_receipts, redis_conn):
    campaign = _campaign(menu, per_city=3, cities={"南京市": CALLEES["南京市"], "北京市": CALLEES["北京市"]})
    dispatch.dial_campaign(campaign.pk, max_seconds=30, client=RecordingClient())
    elements = []
    for call in Call.objects.filter(campaign=campaign):
        answered = call.local == Call.Local.CITY
        element = record(0, "200000" if answered else "200003", call_id=call.call_id) | {"out_id": call.out_id}
        elements.append(element | ({} if answered else {"start_time": ""}))
    post_receipts(elements)

    page = staff_client.get(reverse("results:dashboard", args=[campaign.pk])).content.decode()

    assert "Local caller numbers" in page
    assert '<tr><th scope="row">same city</th><td>3</td><td>3</td><td>100.0%</td></tr>' in page
    assert '<tr><th scope="row">not local</th><td>3</td><td>0</td><td>0.0%</td></tr>' in page


def test_forecast_counts_out_callees_with_no_local_number(menu):
    campaign = _campaign(menu, per_city=10, cities={"南京市": CALLEES["南京市"], "北京市": CALLEES["北京市"]})
    campaign.local_presence = Campaign.LocalPresence.ONLY
    campaign.save()

    forecast = campaign_forecast(campaign)

    # Half the people (Beijing's) have no caller number near them: half the expected calls wait.
    assert forecast.no_local_number == forecast.calls_left > 10
    assert "no caller number in their city or province" in " ".join(summary(forecast, campaign.window)["notes"])


def test_through_the_simulator_callees_see_a_number_of_their_city(menu, settings, start_simulator, redis_conn):
    simulator = start_simulator(keys={"LTAI-local": "local-secret"})
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "LTAI-local", "local-secret"
    settings.ALIYUN_VOICE_ENDPOINT = simulator.url
    settings.CALLEE_LIMITS = []
    campaign = _campaign(menu, per_city=12, cities={c: CALLEES[c] for c in [*CALLERS, "北京市"]})

    dispatch.dial_campaign(campaign.pk, max_seconds=30)

    calls = list(campaign.calls.select_related("caller_number", "contact").exclude(status=Call.Status.QUEUED))
    assert simulator.stats.snapshot()["placed"] == len(calls) == 48
    served = [c for c in calls if c.contact.name[:3] in CALLERS]
    local_share = sum(c.caller_number.number in CALLERS[c.contact.name[:3]] for c in served) / len(served)
    assert local_share >= 0.95
