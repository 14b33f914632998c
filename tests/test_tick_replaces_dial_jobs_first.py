"""A dial job whose time is up is replaced at the start of the next tick, not after the seconds
that settling a burst of receipts may take (the campaign would dial at half speed meanwhile)."""

import pytest

from campaigns.actions import campaigns as actions
from ivrsite import scheduler
from receipts import inbox
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db


def test_dial_jobs_are_queued_before_receipts_are_settled(campaign, redis_conn, settings, monkeypatch):
    settings.DIAL_JOBS_PER_CAMPAIGN = 2
    actions.do_start_campaign(campaign, actor=OPERATOR)
    happened = []
    enqueue, settle = scheduler.enqueue_dialling, inbox.settle_pending

    def enqueue_dialling(campaign):
        happened.append("dial jobs queued")
        return enqueue(campaign)

    def settle_pending(**kwargs):
        happened.append("receipts settled")
        return settle(**kwargs)

    monkeypatch.setattr(scheduler, "enqueue_dialling", enqueue_dialling)
    monkeypatch.setattr(inbox, "settle_pending", settle_pending)
    summary = scheduler.tick()

    assert summary["enqueued"] == 2
    assert happened == ["dial jobs queued", "receipts settled"]
