"""Which claims the dispatcher hands back (`campaigns.dialling.claimers.recover_dead_workers`):
those of RQ workers gone from RQ's registry or whose heartbeat lapsed, never those of a live
worker nor of a claim that names no worker (those wait for the stale window).
The end-to-end measurement (kill -9, re-dialled within 15 s) is `test_dead_worker_recovery.py`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_rq import get_connection
from rq.utils import utcformat
from rq.worker import Worker

from campaigns.actions import campaigns as actions
from campaigns.dialling.claimers import claim_token, recover_dead_workers, worker_of
from campaigns.models import Call
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def registry(settings):
    """RQ's registry of workers, written as RQ writes it: name → last heartbeat."""
    settings.WORKER_HEARTBEAT_LAPSE_SECONDS = 6
    redis = get_connection("dial")
    written: list[str] = []

    def beat(name: str, at: dt.datetime) -> None:
        key = Worker.redis_worker_namespace_prefix + name
        redis.hset(key, "last_heartbeat", utcformat(at.astimezone(dt.UTC).replace(tzinfo=None)))
        written.append(key)

    yield beat
    if written:
        redis.delete(*written)


def hold(campaign, phone: str, status: str, token: str) -> Call:
    Call.objects.filter(campaign=campaign, phone=phone).update(
        status=status, claim_token=token, claimed_at=timezone.now()
    )
    return Call.objects.get(campaign=campaign, phone=phone)


def test_only_the_claims_of_dead_workers_are_handed_back(campaign, registry):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    now = timezone.now()
    registry("t-alive", now - dt.timedelta(seconds=2))
    registry("t-lapsed", now - dt.timedelta(seconds=10))
    phones = list(campaign.calls.order_by("phone").values_list("phone", flat=True)[:5])
    alive = hold(campaign, phones[0], S.CLAIMED, "t-alive/a1")
    gone_claim = hold(campaign, phones[1], S.CLAIMED, "t-gone/b1")
    gone_send = hold(campaign, phones[2], S.SENDING, "t-gone/b2")
    lapsed = hold(campaign, phones[3], S.CLAIMED, "t-lapsed/c1")
    anonymous = hold(campaign, phones[4], S.CLAIMED, "d1")  # a claim made outside RQ

    counts = recover_dead_workers(now)

    assert counts == {"requeued": 2, "unknown": 1}
    status = dict(Call.objects.filter(campaign=campaign).values_list("pk", "status"))
    assert status[alive.pk] == S.CLAIMED
    assert status[anonymous.pk] == S.CLAIMED  # left to DISPATCH_STALE_SECONDS
    assert status[gone_claim.pk] == S.QUEUED and status[lapsed.pk] == S.QUEUED  # never sent: safe
    assert status[gone_send.pk] == S.UNKNOWN  # may have been placed: never re-dialled blindly
    assert Call.objects.get(pk=gone_send.pk).error_code == "WorkerLost"
    assert recover_dead_workers(now) == {"requeued": 0, "unknown": 0}


def test_a_worker_whose_heartbeat_is_fresh_again_keeps_its_claims(campaign, registry):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    now = timezone.now()
    registry("t-slow", now - dt.timedelta(seconds=5))  # within the 6 s lapse
    call = hold(campaign, campaign.calls.first().phone, S.CLAIMED, "t-slow/x")
    assert recover_dead_workers(now) == {"requeued": 0, "unknown": 0}
    assert Call.objects.get(pk=call.pk).status == S.CLAIMED


def test_a_claim_token_names_its_rq_worker(monkeypatch):
    monkeypatch.setenv("RQ_WORKER_ID", "w0-123")
    token = claim_token()
    assert worker_of(token) == "w0-123"
    monkeypatch.delenv("RQ_WORKER_ID")
    assert worker_of(claim_token()) is None
