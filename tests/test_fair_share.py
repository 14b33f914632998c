"""Several running campaigns share workers and the account's QPS: a dial job yields to other
campaigns' (and other kinds of) waiting jobs, never to its own campaign's twin."""

import django_rq
import pytest

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Contact
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db


def test_dial_job_yields_after_its_share_when_other_campaigns_wait(campaign, contact_list, redis_conn, monkeypatch):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(60)
    )
    actions.do_start_campaign(campaign, actor=OPERATOR)
    monkeypatch.setattr(dispatch, "FAIR_SHARE_SECONDS", 0.0)
    django_rq.get_queue("dial", commit_mode="auto").enqueue("builtins.print", "another campaign's job")
    client = RecordingClient()

    report = dispatch.dial_campaign(campaign.pk, max_seconds=30, client=client)

    assert report["stopped"] == "yielded to other campaigns"
    assert len(client.requests) == dispatch.CLAIM_BATCH
    assert campaign.calls.filter(status="queued").count() == 65 - dispatch.CLAIM_BATCH


def test_dial_job_keeps_going_when_nobody_waits(campaign, redis_conn, monkeypatch):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    monkeypatch.setattr(dispatch, "FAIR_SHARE_SECONDS", 0.0)

    report = dispatch.dial_campaign(campaign.pk, max_seconds=30, client=RecordingClient())

    assert report["stopped"] == "nothing due"
    assert report["sent"] == 5


def test_dial_job_does_not_yield_to_its_own_twin(campaign, contact_list, redis_conn, monkeypatch):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(60)
    )
    actions.do_start_campaign(campaign, actor=OPERATOR)
    monkeypatch.setattr(dispatch, "FAIR_SHARE_SECONDS", 0.0)
    queue = django_rq.get_queue("dial", commit_mode="auto")
    queue.enqueue("builtins.print", "twin", job_id=f"dial-{campaign.pk}-1")

    report = dispatch.dial_campaign(campaign.pk, max_seconds=30, client=RecordingClient())

    assert report["stopped"] == "nothing due"
    assert report["sent"] == 65


def test_dial_job_yields_to_a_waiting_import(campaign, redis_conn, monkeypatch):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    monkeypatch.setattr(dispatch, "FAIR_SHARE_SECONDS", 0.0)
    django_rq.get_queue("imports", commit_mode="auto").enqueue("builtins.print", "an import")

    report = dispatch.dial_campaign(campaign.pk, max_seconds=30, client=RecordingClient())

    assert report["stopped"] == "yielded to other campaigns"


def test_dial_job_keeps_looking_for_waiting_work_while_it_runs(
    campaign, contact_list, redis_conn, monkeypatch, settings
):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(60)
    )
    settings.VOICE_QPS = 20  # 65 calls take over 3 s: several looks, at most one a second
    actions.do_start_campaign(campaign, actor=OPERATOR)
    monkeypatch.setattr(dispatch, "FAIR_SHARE_SECONDS", 0.0)
    monkeypatch.setattr(dispatch, "CLAIM_BATCH", 5)
    looks = []

    def others_waiting(campaign_id):
        looks.append(campaign_id)
        return len(looks) >= 2  # another campaign's job turns up after the first look

    monkeypatch.setattr(dispatch, "others_waiting", others_waiting)

    report = dispatch.dial_campaign(campaign.pk, max_seconds=30, client=RecordingClient())

    assert report["stopped"] == "yielded to other campaigns"
    assert len(looks) == 2
    assert 15 <= report["sent"] < 65  # about a second's worth (20/s) after the first look


def test_one_waiting_job_takes_one_worker_not_all_of_them(campaign, redis_conn, monkeypatch):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    django_rq.get_queue("default", commit_mode="auto").enqueue("builtins.print", "housekeeping")

    assert dispatch.others_waiting(campaign.pk) is True  # this dial job hands its worker over
    assert dispatch.others_waiting(campaign.pk) is False  # its twin dials on: one job, one worker
