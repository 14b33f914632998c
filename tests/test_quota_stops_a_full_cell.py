"""A quota of 50 completes on one city stops that city at 50 (± the calls already placed) while the
other city goes on; sample goes out in batches, the next one when the rate so far says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import quotas
from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, Contact, ContactList, Quota, SampleRelease
from ivrsite.scheduler import tick
from results.rates import computed_now
from tests.actors import OPERATOR
from tests.dialling import RecordingClient
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db
S = Call.Status
PER_CITY = 100


def two_cities(caller, menu, release_percent: int | None = 10) -> Campaign:
    contacts = ContactList.objects.create(name="两城名单")
    Contact.objects.bulk_create(
        Contact(contact_list=contacts, phone=f"13{city}0000{n:04d}", variables={"city": name, "product": "宽带"})
        for city, name in ((7, "杭州"), (8, "上海"))
        for n in range(PER_CITY)
    )
    campaign = Campaign.objects.create(
        name="两城调查", menu=menu, daily_start=dt.time(0, 0), daily_end=dt.time(0, 0), max_attempts=1
    )
    campaign.contact_lists.add(contacts)
    campaign.caller_numbers.add(caller)
    Quota.objects.create(campaign=campaign, variable="city", value="杭州", target=50)
    if release_percent:
        SampleRelease.objects.create(campaign=campaign, percent=release_percent)
    return campaign


def answer_all_placed(campaign: Campaign, post_receipts) -> int:
    placed = list(Call.objects.filter(campaign=campaign, status=S.PLACED))
    post_receipts([{**record(0, dtmf="1", call_id=c.call_id), "out_id": c.out_id} for c in placed])
    return len(placed)


def completes(campaign: Campaign, city: str) -> int:
    return Call.objects.filter(quotas.completes(campaign), contact__variables__city=city).count()


def test_a_full_city_stops_while_the_other_goes_on(caller, menu, redis_conn, post_receipts, settings):
    settings.CALLEE_LIMITS = []
    campaign = two_cities(caller, menu)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    assert Call.objects.filter(campaign=campaign, due_at__lte=timezone.now()).count() == 20  # 10 %
    client = RecordingClient()

    batches = []
    for _round in range(30):
        dispatch.dial_campaign(campaign.pk, max_seconds=30, client=client)
        batches.append(answer_all_placed(campaign, post_receipts))
        tick()
        campaign.refresh_from_db()
        if campaign.state == Campaign.State.COMPLETED:
            break

    assert campaign.state == Campaign.State.COMPLETED
    hangzhou = completes(campaign, "杭州")
    assert 50 <= hangzhou < 50 + 20  # at most one batch's worth already placed when it filled
    assert completes(campaign, "上海") == PER_CITY
    withdrawn = Call.objects.filter(campaign=campaign, status=S.CANCELLED, note__code="call.quota_full")
    assert withdrawn.count() == PER_CITY - hangzhou
    assert not withdrawn.exclude(contact__variables__city="杭州").exists()
    assert len(client.requests) == PER_CITY + hangzhou  # nobody withdrawn was dialled
    assert max(batches) <= 20
    dispositions = {d["outcome"]: d["count"] for d in computed_now(campaign)["dispositions"]}
    assert dispositions == {"complete": PER_CITY + hangzhou, "quota_full": PER_CITY - hangzhou}


def test_without_sample_release_a_filled_cell_withdraws_its_queued_calls(caller, menu):
    campaign = two_cities(caller, menu, release_percent=None)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    hangzhou = Call.objects.filter(campaign=campaign, contact__variables__city="杭州").order_by("pk")
    for call in hangzhou[:50]:  # 50 completes arrive (as a receipt would write them)
        Call.objects.filter(pk=call.pk).update(status=S.ANSWERED, answer_key="1", answer_label="满意")
    Call.objects.filter(pk=hangzhou[50].pk).update(status=S.PLACED)  # one on the line: it finishes

    assert quotas.enforce_all()["withdrawn"] == PER_CITY - 51
    assert Call.objects.filter(campaign=campaign, status=S.QUEUED).count() == PER_CITY  # 上海 untouched
    assert Call.objects.filter(pk=hangzhou[50].pk, status=S.PLACED).exists()
    assert quotas.enforce_all()["withdrawn"] == 0  # nothing twice


def test_a_whole_campaign_quota_and_an_opt_out_is_no_complete(caller, menu):
    campaign = two_cities(caller, menu, release_percent=None)
    Quota.objects.filter(campaign=campaign).update(variable="", value="", target=3)
    menu.options.filter(key="3").update(opt_out=True)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    calls = list(Call.objects.filter(campaign=campaign).order_by("pk")[:4])
    for call, key in zip(calls, ["1", "2", "3", ""], strict=True):
        Call.objects.filter(pk=call.pk).update(status=S.ANSWERED, answer_key=key)
    assert quotas.enforce_all()["withdrawn"] == 0  # key 3 opts out, no key is no answer: 2 completes
    Call.objects.filter(pk=calls[3].pk).update(answer_key="1")
    assert quotas.enforce_all()["withdrawn"] == 2 * PER_CITY - 4
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_the_next_batch_goes_out_when_the_rate_says_the_quota_needs_it(caller, menu):
    campaign = two_cities(caller, menu)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    released = list(Call.objects.filter(campaign=campaign, due_at__lte=timezone.now()).order_by("pk"))
    assert len(released) == 20 and {c.contact.variables["city"] for c in released} == {"杭州", "上海"}
    # Half the batch worked: 5 answers of 10, 10 calls still open → 5 more expected.
    for n, call in enumerate(released[:10]):
        Call.objects.filter(pk=call.pk).update(status=S.ANSWERED if n % 2 else S.NO_ANSWER, answer_key="1")
    hangzhou_done = completes(campaign, "杭州")
    Quota.objects.filter(campaign=campaign).update(target=hangzhou_done + 2)
    assert not quotas.needs_next_batch(campaign)  # 2 still wanted, about 5 expected
    Quota.objects.filter(campaign=campaign).update(target=hangzhou_done + 40)
    assert quotas.needs_next_batch(campaign)  # 40 wanted, about 5 expected
    assert quotas.enforce_all()["released"] == 20
    assert SampleRelease.objects.get(campaign=campaign).batches == 2


def test_the_forecast_leaves_out_the_calls_held_back(caller, menu, settings):
    """Sample release: only the released calls are counted as calls to make; the held ones are
    named apart (quotas may fill without them)."""
    from campaigns.forecast import campaign_forecast, summary

    settings.CALLEE_LIMITS = []
    campaign = two_cities(caller, menu, release_percent=10)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    campaign.refresh_from_db()

    forecast = campaign_forecast(campaign)

    assert forecast.held_back == 2 * PER_CITY - 20
    assert forecast.calls_left == 20  # one attempt each: max_attempts=1
    notes = summary(forecast, campaign.window)["notes"]
    assert any("180 calls are held back by sample release" in note for note in notes)
    Call.objects.filter(campaign=campaign, due_at=quotas.HELD).update(due_at=timezone.now())  # all released
    released = campaign_forecast(campaign)
    assert (released.held_back, released.calls_left) == (0, 2 * PER_CITY)
