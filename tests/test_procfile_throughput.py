"""The deployment as shipped reaches the rate: web, one `worker` and the dispatcher started
from the Procfile's own command lines, with its default settings, against a stand-in for
Aliyun that allows 100 requests/s, dial at >= 90 % of that for >= 20 s with nothing
throttled and nobody dialled twice. (bench/dispatch_bench.py --procfile measures the exact
figure; the margin here is for a busy test machine.)"""

from __future__ import annotations

import time

import pytest

from campaigns.actions import campaigns as actions
from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList, MenuOption, MenuTemplate
from tests.actors import OPERATOR
from tests.stack import Stack, database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LIMIT = 100
CONTACTS = 2600  # 26 s at the limit


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


def test_the_procfile_as_shipped_dials_at_the_limit(big_campaign, tmp_path):
    stack = Stack(
        database_url(),
        workers=1,
        procfile=True,
        simulator_args=("--qps", str(LIMIT), "--call-duration-scale", "0.02"),
        env={"VOICE_QPS": str(LIMIT)},
        log_dir=tmp_path,
    )
    with stack:
        time.sleep(3)  # the processes import Django before the clock starts
        actions.do_start_campaign(big_campaign, actor=OPERATOR)
        deadline = time.monotonic() + 3 * CONTACTS / LIMIT + 60
        unsent = [Call.Status.QUEUED, Call.Status.CLAIMED, Call.Status.SENDING]
        while time.monotonic() < deadline and big_campaign.calls.filter(status__in=unsent).exists():
            time.sleep(1)
        stats = stack.simulator_stats()

    times = list(big_campaign.calls.exclude(sent_at=None).order_by("sent_at").values_list("sent_at", flat=True))
    assert len(times) == CONTACTS, f"only {len(times)} of {CONTACTS} sent in time (logs in {tmp_path})"
    lo, hi = int(0.05 * CONTACTS), int(0.95 * CONTACTS)
    span = (times[hi] - times[lo]).total_seconds()
    rate = (hi - lo) / span
    assert span >= 20
    assert rate >= 0.9 * LIMIT, f"{rate:.1f} calls/s over {span:.0f} s"
    assert stats["throttled"] == 0
    assert stats["numbers_dialled_more_than_once"] == 0 and stats["duplicate_out_ids"] == 0
