"""Several Aliyun accounts: every call is signed with and paced under the account of its
caller number, across all workers. A campaign whose numbers span two accounts dials at the
sum of their budgets and never over either; the environment's keys stay the default account."""

import threading
import time

import pytest
from django.db import connection
from django.db.models import Count

from campaigns.accounts import VoiceAccount
from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, CallerNumber, Contact, ContactList
from tests.actors import OPERATOR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers need their own PostgreSQL connections"),
]
ENV_KEY, ENV_SECRET = "env-key-id", "env-secret-密钥"
EAST_KEY, EAST_SECRET = "east-key-id", "east-secret-value"
EAST_QPS, DEFAULT_QPS = 12, 6
CONTACTS = 120


@pytest.fixture
def two_accounts(settings, start_simulator, campaign, caller, contact_list):
    """The environment's account (6/s) owns `caller`; account 华东 (12/s) owns a second number."""
    simulator = start_simulator(
        keys={ENV_KEY: ENV_SECRET, EAST_KEY: EAST_SECRET}, qps=DEFAULT_QPS, key_qps={EAST_KEY: EAST_QPS}
    )
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = ENV_KEY, ENV_SECRET
    settings.ALIYUN_VOICE_ENDPOINT = simulator.url
    settings.VOICE_QPS = DEFAULT_QPS
    east = VoiceAccount(name="华东", access_key_id=EAST_KEY, endpoint=simulator.url, qps=EAST_QPS)
    east.set_secret(EAST_SECRET)
    east.save()
    campaign.caller_numbers.add(
        CallerNumber.objects.create(number="02155550000", max_concurrent_calls=1000, account=east)
    )
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"})
        for n in range(CONTACTS - 5)
    )
    return simulator, east


@pytest.fixture
def send_times(monkeypatch):
    """When each request left, by AccessKey: what our pacing decided, free of the arrival
    jitter a loaded machine adds on the simulator's side."""
    from campaigns.dialling import aliyun

    times: dict[str, list[float]] = {}
    lock = threading.Lock()
    original = aliyun.VoiceClient.send

    def send(self, signed):
        with lock:
            times.setdefault(self.access_key_id, []).append(time.monotonic())
        return original(self, signed)

    monkeypatch.setattr(aliyun.VoiceClient, "send", send)
    return times


def busiest_second(times: list[float]) -> int:
    """The most requests in any sliding one-second window."""
    times = sorted(times)
    start, most = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def assert_within_budget(times: list[float], qps: int) -> None:
    """No one-second window holds more requests than the budget. One more is allowed for the
    moment between a request's slot and the clock reading here, which a thread switch on a
    loaded machine can stretch; pacing all accounts' calls under one budget, or none, would
    put whole seconds far over it."""
    assert busiest_second(times) <= qps + 1, busiest_second(times)


def assert_hardly_throttled(stats: dict) -> None:
    """The simulator judges arrivals, which a loaded test machine delays unevenly (it shares
    this process's GIL): a rare request bunched with the next one is jitter, not pacing.
    (bench/dispatch_bench.py --accounts 2 measures throttling on a real stack.)"""
    assert stats["throttled"] <= 0.02 * stats["requests"], stats["throttled_by_key"]


def run_workers(campaign_id: int, workers: int = 2, threads: int = 3) -> None:
    """Dial jobs in parallel, as several RQ workers would run them (the pacer lives in Redis)."""

    def work():
        try:
            dispatch.dial_campaign(campaign_id, max_seconds=60, threads=threads)
        finally:
            connection.close()

    jobs = [threading.Thread(target=work) for _ in range(workers)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()


def test_a_campaign_over_two_accounts_dials_at_their_sum_never_over_either(
    two_accounts, campaign, redis_conn, send_times
):
    simulator, _east = two_accounts
    actions.do_start_campaign(campaign, actor=OPERATOR)

    started = time.monotonic()
    run_workers(campaign.pk)
    elapsed = time.monotonic() - started

    stats = simulator.stats.snapshot()
    assert_within_budget(send_times[EAST_KEY], EAST_QPS)
    assert_within_budget(send_times[ENV_KEY], DEFAULT_QPS)
    assert_hardly_throttled(stats)
    # Each call went through its number's account: signed with its keys (the simulator
    # checks every signature), counted against its budget.
    by_number = dict(
        campaign.calls.values_list("caller_number__number")
        .annotate(n=Count("id"))
        .values_list("caller_number__number", "n")
    )
    # (A throttled request is not an attempt: its call may go out again on the other number.)
    placed_by_key = {key: n - stats["throttled_by_key"].get(key, 0) for key, n in stats["requests_by_key"].items()}
    assert placed_by_key == {ENV_KEY: by_number["057112345678"], EAST_KEY: by_number["02155550000"]}
    assert campaign.calls.filter(status=Call.Status.PLACED).count() == CONTACTS
    # Faster than either account alone allows: the accounts' shares follow their budgets.
    assert CONTACTS / elapsed > EAST_QPS
    assert by_number["02155550000"] > 1.5 * by_number["057112345678"]


def test_campaigns_on_different_accounts_do_not_slow_each_other(
    two_accounts, campaign, caller, menu, redis_conn, send_times
):
    simulator, _east = two_accounts
    campaign.caller_numbers.remove(caller)  # this one dials through 华东 only
    other = type(campaign).objects.create(name="env only", menu=menu, daily_start="00:00", daily_end="00:00")
    others = ContactList.objects.create(name="env only list")  # other people: the callee guard stays out of it
    Contact.objects.bulk_create(
        Contact(contact_list=others, phone=f"1370000{n:04d}", variables={"product": "x"}) for n in range(CONTACTS)
    )
    other.contact_lists.set([others])
    other.caller_numbers.add(caller)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_start_campaign(other, actor=OPERATOR)

    finished = {}

    def dial(campaign_id):
        try:
            started = time.monotonic()
            dispatch.dial_campaign(campaign_id, max_seconds=60, threads=3)
            finished[campaign_id] = time.monotonic() - started
        finally:
            connection.close()

    jobs = [threading.Thread(target=dial, args=(pk,)) for pk in (campaign.pk, other.pk)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()

    stats = simulator.stats.snapshot()
    assert_hardly_throttled(stats)
    assert_within_budget(send_times[EAST_KEY], EAST_QPS)
    assert_within_budget(send_times[ENV_KEY], DEFAULT_QPS)
    assert len(send_times[EAST_KEY]) >= CONTACTS and len(send_times[ENV_KEY]) >= CONTACTS
    # 120 calls at 12/s take ~10 s on 华东 while the other campaign's 120 take ~20 s at 6/s:
    # the faster account's campaign is not held to the slower one's pace.
    assert finished[campaign.pk] < 0.75 * finished[other.pk]
