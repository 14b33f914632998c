"""Fault tests on the real stack (workers, dispatcher, simulator, web, Redis as processes):
a worker killed with -9 mid-campaign, and Redis restarted empty mid-campaign. Afterwards every
contact was dialled at most once and ends final or `unknown`: none lost, none twice."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from campaigns.actions import campaigns as actions
from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList, MenuOption, MenuTemplate
from tests.actors import OPERATOR
from tests.stack import Stack, database_url
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("stack")]
S = Call.Status
CONTACTS = 400


@pytest.fixture
def running_campaign():
    contacts = ContactList.objects.create(name="fault list")
    Contact.objects.bulk_create(
        Contact(contact_list=contacts, phone=f"1391234{n:04d}", name=f"测试{n}") for n in range(CONTACTS)
    )
    menu = MenuTemplate.objects.create(name="fault menu", start_code="TTS_1", start_tts_params='{"n": "${name}"}')
    MenuOption.objects.create(template=menu, key="1", label="是", code="TTS_2")
    campaign = Campaign.objects.create(
        name="fault", menu=menu, max_attempts=1, daily_start="00:00", daily_end="00:00", max_qps=40
    )
    campaign.contact_lists.add(contacts)
    campaign.caller_numbers.add(CallerNumber.objects.create(number="057100000001", max_concurrent_calls=1000))
    return campaign


def sent_count(campaign: Campaign) -> int:
    return campaign.calls.filter(sent_at__isnull=False).count()


def describe(stack: Stack, campaign: Campaign) -> str:
    stuck = list(
        campaign.calls.exclude(status__in=[*Call.FINAL, S.UNKNOWN]).values("status", "out_id", "call_id", "due_at")[:5]
    )
    return f"stuck calls: {stuck}; exited: {stack.dead_processes()}; simulator: {stack.simulator_stats()}"


def settled(campaign: Campaign) -> bool:
    return not campaign.calls.filter(status__in=[S.QUEUED, S.CLAIMED, S.SENDING, S.PLACED]).exists()


def assert_nobody_lost_or_called_twice(stack: Stack, campaign: Campaign) -> None:
    calls = list(campaign.calls.all())
    assert len(calls) == CONTACTS
    assert {c.phone for c in calls} == set(Contact.objects.values_list("phone", flat=True))
    open_calls = [c for c in calls if c.status not in (*Call.FINAL, S.UNKNOWN)]
    assert open_calls == []
    stats = stack.simulator_stats()
    assert stats["numbers_dialled_more_than_once"] == 0
    assert stats["duplicate_out_ids"] == 0
    # Every call we consider made was seen by the simulator; unknown ones may or may not have been.
    made = [c for c in calls if c.status in (S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED)]
    assert len(made) <= stats["placed"] <= len(made) + sum(c.status == S.UNKNOWN for c in calls)


def kill_a_worker(stack: Stack) -> None:
    stack.kill("worker0")  # -9, its work horse included: calls may be claimed or mid-request
    stack.start_worker(9)


def restart_redis(stack: Stack) -> None:
    # Down for longer than a worker's heartbeat interval (a busy worker must outlive a failed
    # heartbeat), then back empty: every queued job, pacing key and worker registration is gone.
    stack.restart_redis(down_seconds=3)


def lose_database_connections(stack: Stack) -> None:
    """For three seconds, cut every connection the stack's processes hold to the database."""
    deadline = time.monotonic() + 3
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            time.sleep(0.3)


FAULTS = {
    "worker killed": (kill_a_worker, ()),
    "redis restarted": (restart_redis, ()),
    "database connections lost": (lose_database_connections, ()),
    # The simulator places the call, then answers after our timeout or with a 500: the call
    # is unknown until its receipt (matched by OutId) settles it.
    "timeouts and 500s": (
        None,
        ("--fault-timeout-rate", "0.1", "--fault-500-rate", "0.1", "--fault-timeout-seconds", "2"),
    ),
}


@pytest.mark.parametrize("name", FAULTS)
def test_fault_mid_campaign_loses_nobody_and_calls_nobody_twice(running_campaign, tmp_path, name):
    fault, simulator_faults = FAULTS[name]
    campaign = running_campaign
    env = {"DISPATCH_STALE_SECONDS": "3", "ALIYUN_READ_TIMEOUT": "1"}
    simulator_args = ("--call-duration-scale", "0.02", *simulator_faults)
    with Stack(database_url(), workers=2, env=env, simulator_args=simulator_args, log_dir=tmp_path) as stack:
        actions.do_start_campaign(campaign, actor=OPERATOR)
        wait_until(lambda: sent_count(campaign) >= 60, timeout=60, step=0.25, message="dialling never started")
        if fault:
            fault(stack)
        wait_until(lambda: settled(campaign), timeout=90, step=0.25, message=lambda: describe(stack, campaign))
        if simulator_faults:
            stats = stack.simulator_stats()
            assert stats["faults_timeout"] > 0 and stats["faults_500"] > 0
            # Every such call was placed, so its receipt settles it: none stays unknown.
            wait_until(
                lambda: not campaign.calls.filter(status=S.UNKNOWN).exists(),
                timeout=30,
                step=0.25,
                message=lambda: describe(stack, campaign),
            )
        assert_nobody_lost_or_called_twice(stack, campaign)
        assert stack.dead_processes() == []  # no fault took a worker, the dispatcher or web down
