"""On the real stack (2 workers, dispatcher, simulator enforcing Aliyun's per-callee frequency
control): two campaigns started together on the same list never call a number twice within
the per-callee window, even when Redis restarts empty between the two calls.

Aliyun's rule is 1 call a minute (5 an hour, 20 a day); here both the simulator's control and
our guard (CALLEE_LIMITS) run on a clock four times faster, so the test waits 15 s, not 60."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.actions import campaigns as actions
from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList, MenuOption, MenuTemplate
from tests.actors import OPERATOR
from tests.stack import Stack, database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("stack")]
S = Call.Status
CONTACTS = 30
TIME_SCALE = 0.25
WINDOW = dt.timedelta(seconds=60 * TIME_SCALE)
CALLEE_LIMITS = "1/15,5/900,20/21600"  # Aliyun's 1/60,5/3600,20/86400 at TIME_SCALE


def wait_until(predicate, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def two_campaigns():
    contacts = ContactList.objects.create(name="共用名单")
    Contact.objects.bulk_create(
        Contact(contact_list=contacts, phone=f"1370000{n:04d}", name=f"客户{n}") for n in range(CONTACTS)
    )
    menu = MenuTemplate.objects.create(name="guard menu", start_code="TTS_1", start_tts_params='{"n": "${name}"}')
    MenuOption.objects.create(template=menu, key="1", label="是", code="TTS_2")
    caller = CallerNumber.objects.create(number="057100000002", max_concurrent_calls=1000)
    campaigns = []
    for name in ("活动甲", "活动乙"):
        campaign = Campaign.objects.create(
            name=name, menu=menu, max_attempts=1, daily_start=dt.time(0), daily_end=dt.time(0), max_qps=20
        )
        campaign.contact_lists.add(contacts)
        campaign.caller_numbers.add(caller)
        campaigns.append(campaign)
    return campaigns


def sent_per_phone() -> dict[str, list[dt.datetime]]:
    sent: dict[str, list[dt.datetime]] = {}
    for phone, at in Call.objects.filter(sent_at__isnull=False).values_list("phone", "sent_at"):
        sent.setdefault(phone, []).append(at)
    return sent


def test_two_campaigns_on_one_list_never_call_a_number_twice_within_the_callee_window(two_campaigns, tmp_path):
    simulator_args = ("--frequency-limit", "--frequency-time-scale", str(TIME_SCALE), "--call-duration-scale", "0.02")
    env = {"CALLEE_LIMITS": CALLEE_LIMITS}
    with Stack(database_url(), workers=2, simulator_args=simulator_args, env=env, log_dir=tmp_path) as stack:
        for campaign in two_campaigns:
            actions.do_start_campaign(campaign, actor=OPERATOR)
        assert wait_until(lambda: len(sent_per_phone()) == CONTACTS, timeout=60), "first calls never went out"

        stack.restart_redis()  # the guard's state is gone; the database still knows

        def all_done() -> bool:
            return not Call.objects.filter(status__in=[S.QUEUED, S.CLAIMED, S.SENDING, S.PLACED]).exists()

        assert wait_until(all_done, timeout=150), list(Call.objects.exclude(status__in=Call.FINAL).values()[:3])
        stats = stack.simulator_stats()

    sent = sent_per_phone()
    assert len(sent) == CONTACTS
    for phone, times in sent.items():
        assert len(times) == 2, phone  # once per campaign
        first, second = sorted(times)
        assert second - first >= WINDOW, (phone, first, second)
    assert "isv.BUSINESS_LIMIT_CONTROL" not in stats.get("rejected_by_code", {})
    assert stats["placed"] == 2 * CONTACTS
    assert set(Call.objects.values_list("status", flat=True)) <= {S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE}
