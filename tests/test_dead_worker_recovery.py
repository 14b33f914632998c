"""A worker killed with -9 (its work horse too) in the middle of a campaign: the calls it had
claimed are handed back as soon as its RQ heartbeat lapses, not after the stale window, and
dialled again within 15 s of the kill; nobody is dialled twice.

Measured on the real stack (tests/stack.py) with the default DISPATCH_STALE_SECONDS (120 s):
before heartbeats were read, those calls waited the full two minutes."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.models import Call
from tests.actors import OPERATOR
from tests.stack import Stack, database_url
from tests.test_dispatch_fault import (
    assert_nobody_lost_or_called_twice,
    describe,
    running_campaign,  # noqa: F401 (the fault tests' campaign fixture)
    sent_count,
    settled,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = Call.Status
RECOVERY_SECONDS = 15


def test_a_killed_workers_claims_are_dialled_again_within_seconds(request, tmp_path):
    campaign = request.getfixturevalue("running_campaign")
    with Stack(database_url(), workers=2, simulator_args=("--call-duration-scale", "0.02"), log_dir=tmp_path) as stack:
        actions.do_start_campaign(campaign, actor=OPERATOR)
        wait_until(lambda: sent_count(campaign) >= 40, timeout=60, step=0.25, message="dialling never started")
        mine = campaign.calls.filter(status=S.CLAIMED, claim_token__startswith="w0-")
        wait_until(mine.exists, timeout=30, step=0.02, message="worker 0 never held a claim")
        stack.kill("worker0")
        killed_at = timezone.now()
        started = time.monotonic()
        orphans = list(mine.values_list("pk", flat=True))  # frozen: their worker is dead
        stack.start_worker(9)
        assert orphans, "worker 0's claims were all sent before it died; nothing to measure"

        wait_until(
            lambda: not Call.objects.filter(pk__in=orphans, sent_at__isnull=True).exists(),
            timeout=RECOVERY_SECONDS + 30,
            step=0.1,
            message=lambda: describe(stack, campaign),
        )
        waited = time.monotonic() - started
        last_dial = max(Call.objects.filter(pk__in=orphans).values_list("sent_at", flat=True))
        recovery = (last_dial - killed_at).total_seconds()
        print(f"\n{len(orphans)} claimed calls of the killed worker dialled {recovery:.1f} s after the kill")
        assert recovery <= RECOVERY_SECONDS, f"{recovery:.1f} s (polled {waited:.1f} s)"

        wait_until(lambda: settled(campaign), timeout=90, step=0.25, message=lambda: describe(stack, campaign))
        assert_nobody_lost_or_called_twice(stack, campaign)
