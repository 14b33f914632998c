"""The deployment as shipped works at the limit: web, one `worker` and the dispatcher started
from the Procfile's own command lines, with its default settings, against a stand-in for
Aliyun that allows 100 requests/s, dial every contact with nothing throttled and nobody
dialled twice. The rate itself (>= 90 % of the limit over >= 20 s) is a real-time figure a
busy 2-core test machine cannot promise: `make bench-smoke` asserts it as a floor
(bench/dispatch_bench.py --procfile --floor 0.9), which CI runs after the tests."""

from __future__ import annotations

import contextlib

import pytest

from campaigns.actions import campaigns as actions
from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList, MenuOption, MenuTemplate
from tests.actors import OPERATOR
from tests.stack import Stack, database_url
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("stack")]
LIMIT = 100
CONTACTS = 400  # 4 s at the limit: long enough for the pacer to hold the line


@pytest.fixture
def big_campaign():
    contacts = ContactList.objects.create(name="吞吐量")
    Contact.objects.bulk_create(
        (
            Contact(contact_list=contacts, phone=f"13{n:09d}", name=f"客户{n}", variables={"product": "宽带"})
            for n in range(CONTACTS)
        ),
        batch_size=2000,
    )
    menu = MenuTemplate.objects.create(
        name="吞吐量菜单", start_code="TTS_1", start_tts_params='{"name": "${name}", "product": "${product}"}'
    )
    for key, label in (("1", "满意"), ("2", "不满意")):
        MenuOption.objects.create(template=menu, key=key, label=label, code=f"TTS_{key}0")
    campaign = Campaign.objects.create(
        name="throughput", menu=menu, max_attempts=1, daily_start="00:00", daily_end="00:00"
    )
    campaign.contact_lists.add(contacts)
    campaign.caller_numbers.add(CallerNumber.objects.create(number="057100009999", max_concurrent_calls=5000))
    return campaign


def test_the_procfile_as_shipped_dials_everyone_once_without_being_throttled(big_campaign, tmp_path):
    stack = Stack(
        database_url(),
        workers=1,
        procfile=True,
        simulator_args=("--qps", str(LIMIT), "--call-duration-scale", "0.02"),
        env={"VOICE_QPS": str(LIMIT)},
        log_dir=tmp_path,
    )
    unsent = [Call.Status.QUEUED, Call.Status.CLAIMED, Call.Status.SENDING]
    with stack:
        actions.do_start_campaign(big_campaign, actor=OPERATOR)
        with contextlib.suppress(AssertionError):  # the count below says how many went out
            wait_until(lambda: not big_campaign.calls.filter(status__in=unsent).exists(), timeout=90, step=0.25)
        stats = stack.simulator_stats()

    sent = big_campaign.calls.exclude(sent_at=None).count()
    assert sent == CONTACTS, f"only {sent} of {CONTACTS} sent in time (logs in {tmp_path})"
    assert stats["throttled"] == 0
    assert stats["numbers_dialled_more_than_once"] == 0 and stats["duplicate_out_ids"] == 0
