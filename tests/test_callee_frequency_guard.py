"""The callee frequency guard (CALLEE_LIMITS): per called number, across campaigns and
workers, a call over a limit is deferred until it would not be (not an attempt)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch, guard, pacing
from campaigns.models import Call, Campaign, ContactList
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db
S = Call.Status


def claimed(campaign: Campaign, worker: str = "t") -> list[Call]:
    """The campaign's queued calls as a worker would hold them after claiming."""
    campaign.calls.update(status=S.CLAIMED, claim_token=worker, claimed_at=timezone.now())
    return list(campaign.calls.select_related("contact").order_by("pk"))


def record_past(phone: str, *ages_seconds: float) -> None:
    """Calls to `phone` that went out this many seconds ago, as the guard recorded them."""
    redis = pacing.redis_connection(settings.REDIS_URL)
    now_ms = int(redis.time()[0] * 1000)
    redis.zadd(guard.key(phone), {f"past:{age}": now_ms - int(age * 1000) for age in ages_seconds})


@pytest.fixture
def second_campaign(campaign, menu, caller):
    """Another campaign on the same contact list."""
    other = Campaign.objects.create(name="第二轮", menu=menu, daily_start=dt.time(0), daily_end=dt.time(0))
    other.contact_lists.add(*ContactList.objects.filter(campaigns=campaign))
    other.caller_numbers.add(caller)
    return other


def test_second_campaign_waits_a_minute_for_the_same_numbers(campaign, second_campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_start_campaign(second_campaign, actor=OPERATOR)
    client = RecordingClient()

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    dispatch.dial_campaign(second_campaign.pk, max_seconds=5, client=client)

    phones = set(campaign.calls.values_list("phone", flat=True))
    assert sorted(client.dialled()) == sorted(phones)  # each number once, by the first campaign
    deferred = list(second_campaign.calls.all())
    assert {c.status for c in deferred} == {S.QUEUED}
    assert {c.error_code for c in deferred} == {"CalleeLimit"}
    assert all(c.attempt == 1 and c.sent_at is None and c.out_id is None for c in deferred)
    soonest = min(c.due_at for c in deferred)
    assert soonest >= timezone.now() + dt.timedelta(seconds=55)


def test_hour_and_day_limits_defer_until_the_oldest_call_leaves_the_window(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    first, second, third = claimed(campaign)[:3]
    record_past(first.phone, 3000, 2500, 2000, 1500, 1000)  # 5 in the last hour
    record_past(second.phone, *(3600 * 2 + n * 60 for n in range(20)))  # 20 in the last day
    record_past(third.phone, 3000, 2500, 2000, 1500)  # 4 in the hour: one more may go

    now = timezone.now()
    deferred = guard.screen([first, second, third], now)

    assert set(deferred) == {first.pk, second.pk}
    # Free again when the call of 50 minutes ago is an hour old (plus the guard's leeway).
    assert abs((deferred[first.pk] - now).total_seconds() - (3600 - 3000 + 5)) < 2
    oldest = 3600 * 2 + 19 * 60
    assert abs((deferred[second.pk] - now).total_seconds() - (86400 - oldest + 5)) < 2


def test_two_workers_claiming_the_same_number_at_once_dial_it_once(campaign, second_campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_start_campaign(second_campaign, actor=OPERATOR)
    batches = [claimed(campaign, "a"), claimed(second_campaign, "b")]
    results: list[dict] = [{}, {}]
    barrier = threading.Barrier(2)

    def worker(n: int) -> None:
        barrier.wait()
        results[n] = guard.screen(batches[n])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for first, second in zip(*batches, strict=True):
        assert first.phone == second.phone
        allowed = [first.pk not in results[0], second.pk not in results[1]]
        assert allowed.count(True) == 1, first.phone


def test_guard_survives_redis_losing_its_state(campaign, second_campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_start_campaign(second_campaign, actor=OPERATOR)
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=RecordingClient())
    assert campaign.calls.filter(status=S.PLACED).count() == 5

    redis_conn.flushdb()  # Redis restarted empty: the guard's sets and its marker are gone

    client = RecordingClient()
    dispatch.dial_campaign(second_campaign.pk, max_seconds=5, client=client)
    assert client.dialled() == []  # the database still knew those numbers were just called
    assert set(second_campaign.calls.values_list("error_code", flat=True)) == {"CalleeLimit"}


def test_an_old_enough_marker_trusts_redis_without_the_database(campaign, redis_conn, django_assert_num_queries):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    calls = claimed(campaign)
    Call.objects.filter(pk=calls[0].pk).update(sent_at=timezone.now())  # the database says: just called
    redis_conn.set(guard.SINCE_KEY, int(redis_conn.time()[0] * 1000) - 86_401_000 - guard.LEEWAY_MS)

    with django_assert_num_queries(0):
        deferred = guard.screen(calls)

    assert deferred == {}  # a day after Redis started, a missing set means no call


def test_a_call_not_dialled_after_all_does_not_count(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    calls = claimed(campaign)
    assert guard.screen(calls) == {}

    guard.forget(calls)  # e.g. the campaign was paused before they were sent: handed back
    campaign.calls.update(status=S.QUEUED, claim_token="", claimed_at=None)

    assert guard.screen([Call(pk=c.pk + 1000, phone=c.phone, claim_token="x") for c in calls]) == {}


def test_empty_limits_turn_the_guard_off(campaign, second_campaign, redis_conn, settings):
    settings.CALLEE_LIMITS = []
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_start_campaign(second_campaign, actor=OPERATOR)
    client = RecordingClient()

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    dispatch.dial_campaign(second_campaign.pk, max_seconds=5, client=client)

    assert len(client.dialled()) == 10
    assert not redis_conn.keys(guard.KEY_PREFIX + "*")


@pytest.mark.parametrize(
    ("value", "limits"),
    [("1/60,5/3600,20/86400", [(1, 60), (5, 3600), (20, 86400)]), ("", []), (" 2/30 ", [(2, 30)])],
)
def test_callee_limits_setting(monkeypatch, value, limits):
    from ivrsite.settings import envlimits

    monkeypatch.setenv("CALLEE_LIMITS", value)
    assert envlimits("CALLEE_LIMITS", "1/60") == limits


@pytest.mark.parametrize("value", ["1/min", "60", "0/60", "1/0"])
def test_a_typo_in_callee_limits_fails_loudly(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from ivrsite.settings import envlimits

    monkeypatch.setenv("CALLEE_LIMITS", value)
    with pytest.raises(ImproperlyConfigured, match="CALLEE_LIMITS"):
        envlimits("CALLEE_LIMITS", "1/60")
