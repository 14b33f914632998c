"""Starting from the admin enrols in a background job: the request only freezes the menu and
queues the job; the campaign is `starting` (progress on its page) until the job sets it running."""

import pytest
from django.urls import reverse

from campaigns import enrolment, transitions
from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign, Contact, ContactList, DoNotCall
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def queued(monkeypatch):
    """The jobs the request queued, as (function, campaign id), instead of Redis."""
    jobs = []
    monkeypatch.setattr(enrolment, "enqueue_enrolment", lambda campaign: jobs.append(campaign.pk))
    return jobs


def test_the_admin_start_queues_enrolment_and_returns(staff_client, campaign, queued):
    url = reverse("admin:campaigns_campaign_transition", args=[campaign.pk, "start"])
    assert staff_client.post(url).status_code == 302

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.STARTING
    assert campaign.menu_snapshot and campaign.started_at
    assert not campaign.calls.exists()  # nothing enrolled in the request
    assert queued == [campaign.pk]

    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert "enrolling contacts" in page.content.decode()

    assert enrolment.run_enrolment(campaign.pk) == 5
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert (campaign.contacts_enrolled, campaign.contacts_to_enrol) == (5, 5)
    assert campaign.calls.filter(status=S.QUEUED).count() == 5


def test_chunks_keep_the_rules_across_their_borders(campaign, contact_list, monkeypatch, queued):
    """Lowest contact id wins, do-not-call in any list wins, each number once — chunk by chunk."""
    monkeypatch.setattr(enrolment, "CHUNK_IDS", 2)
    other = ContactList.objects.create(name="第二名单")
    Contact.objects.create(contact_list=other, phone="13800130000", name="重复")  # in both lists
    Contact.objects.create(contact_list=other, phone="13800130001", name="拒绝", do_not_call=True)
    Contact.objects.create(contact_list=other, phone="13900139000", name="新人")
    DoNotCall.objects.create(phone="13900139000")
    campaign.contact_lists.add(other)

    actions.do_start_campaign(campaign, enrol_in_background=True, actor=OPERATOR)
    assert enrolment.run_enrolment(campaign.pk) == 6

    calls = {c.phone: c for c in campaign.calls.select_related("contact")}
    assert len(calls) == 6
    assert calls["13800130000"].contact.contact_list == contact_list
    assert calls["13800130001"].status == S.DNC
    assert calls["13900139000"].status == S.DNC
    assert sum(c.status == S.QUEUED for c in calls.values()) == 4


def test_a_campaign_cancelled_while_enrolling_is_not_started(campaign, queued):
    actions.do_start_campaign(campaign, enrol_in_background=True, actor=OPERATOR)
    actions.do_cancel_campaign(campaign, actor=OPERATOR)

    assert enrolment.run_enrolment(campaign.pk) == 0
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED


def test_an_enrolment_run_twice_enrols_each_number_once(campaign, queued):
    actions.do_start_campaign(campaign, enrol_in_background=True, actor=OPERATOR)
    transitions.do_enrol_contacts(campaign, 0, 10**12)  # a job that died after its first chunk
    assert enrolment.run_enrolment(campaign.pk) == 5
    assert campaign.calls.count() == 5


def test_the_dispatcher_queues_a_lost_enrolment_again(campaign, queued, redis_conn, django_capture_on_commit_callbacks):
    import django_rq

    from ivrsite.scheduler import tick

    actions.do_start_campaign(campaign, enrol_in_background=True, actor=OPERATOR)  # the job never reached Redis
    with django_capture_on_commit_callbacks(execute=True):  # jobs reach Redis on commit (django-rq)
        tick()
    assert django_rq.get_queue("imports").job_ids == [f"enrol-{campaign.pk}"]
    with django_capture_on_commit_callbacks(execute=True):
        tick()  # queued already: not twice
    assert django_rq.get_queue("imports").job_ids == [f"enrol-{campaign.pk}"]
