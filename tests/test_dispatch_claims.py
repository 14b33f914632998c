"""Rule 1: claims are conditional, OutId and `sending` are persisted before the request,
and a dead worker's leftovers are handed back (unsent) or marked unknown (maybe sent)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

S = Call.Status


@pytest.mark.django_db
def test_out_id_and_sending_are_persisted_before_the_request(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    assert len(client.requests) == 5
    for status, out_id in client.status_when_sent:
        assert status == S.SENDING
        assert out_id and len(out_id.encode()) <= 15
    assert campaign.calls.filter(status=S.PLACED, call_id__isnull=False).count() == 5
    assert len({r.out_id for r in client.requests}) == 5


@pytest.mark.django_db
def test_request_carries_the_frozen_menu_and_contact_variables(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    request = next(r for r in client.requests if r.called_number == "13800130003")
    assert request.start_code == "TTS_100001"
    assert request.start_tts_params == '{"name":"张三3","product":"宽带"}'
    assert request.called_show_number == "057112345678"
    assert [(k.key, k.code) for k in request.menu_keys] == [
        ("1", "TTS_200001"),
        ("2", "TTS_200002"),
        ("3", "TTS_200003"),
    ]
    assert (request.play_times, request.timeout_ms) == (2, 5000)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not connection.features.has_select_for_update_skip_locked, reason="needs PostgreSQL's SKIP LOCKED")
def test_two_workers_racing_never_claim_the_same_call(campaign, caller, contact_list):
    from campaigns.models import Contact

    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(400)
    )
    caller.max_concurrent_calls = 10_000
    caller.save()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        barrier.wait()
        try:
            while batch := dispatch.claim(campaign, limit=7):
                claimed[name].extend(c.pk for c in batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert set(claimed["a"]).isdisjoint(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 405
    assert claimed["a"] and claimed["b"]


@pytest.mark.django_db
def test_dead_workers_leftovers_are_handed_back_or_marked_unknown(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    claimed, sending, fresh = list(campaign.calls.order_by("pk")[:3])
    Call.objects.filter(pk=claimed.pk).update(status=S.CLAIMED, claimed_at=long_ago)
    Call.objects.filter(pk=sending.pk).update(status=S.SENDING, sent_at=long_ago, out_id="abc-1")
    Call.objects.filter(pk=fresh.pk).update(status=S.SENDING, sent_at=timezone.now(), out_id="abc-2")

    assert dispatch.recover_stale() == {"requeued": 1, "unknown": 1}

    assert Call.objects.get(pk=claimed.pk).status == S.QUEUED
    assert Call.objects.get(pk=sending.pk).status == S.UNKNOWN
    assert Call.objects.get(pk=fresh.pk).status == S.SENDING


@pytest.mark.django_db
def test_a_claim_handed_to_another_worker_is_not_sent_by_the_first(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    first = dispatch.claim(campaign, limit=1)[0]
    Call.objects.filter(pk=first.pk).update(status=S.QUEUED, claimed_at=None)  # as recover_stale would
    second = dispatch.claim(campaign, limit=1)[0]
    assert second.pk == first.pk

    assert dispatch.mark_sending(first, timezone.now()) is False
    assert dispatch.mark_sending(second, timezone.now()) is True
