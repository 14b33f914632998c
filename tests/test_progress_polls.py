"""Campaign list and change pages poll progress from the stored result cube, not from a scan of
the campaign's calls; `results.aggregates.progress` is the one place figures are computed."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Call, Campaign
from receipts.models import ResultSnapshot
from results import aggregates

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def calls(running_campaign, contact_list):
    contacts = list(contact_list.contacts.order_by("phone"))
    now = timezone.now()
    rows = [
        (contacts[0], S.ANSWERED, "1", "满意"),
        (contacts[1], S.ANSWERED, "2", "一般"),
        (contacts[2], S.BUSY, "", ""),
        (contacts[3], S.QUEUED, "", ""),
        (contacts[4], S.UNKNOWN, "", ""),
    ]
    return Call.objects.bulk_create(
        Call(
            campaign=running_campaign,
            contact=contact,
            phone=contact.phone,
            status=status,
            sent_at=None if status == S.QUEUED else now,
            answered_at=now if status == S.ANSWERED else None,
            answer_key=key,
            answer_label=label,
        )
        for contact, status, key, label in rows
    )


def test_polled_figures_count_each_contact_once_by_its_latest_attempt(calls, running_campaign):
    polled = aggregates.progress(running_campaign)
    assert polled.pop("as_of") is not None
    assert (polled.pop("contacts_enrolled"), polled.pop("contacts_to_enrol")) == (0, 0)  # not enrolled by the job
    assert polled == {
        "state": "running",
        "contacts": 5,
        "dialled": 4,
        "answered": 2,
        "unknown": 1,
        "failed": 1,
        "dnc": 0,
        "pending": 1,
        "answers": {"满意": 1, "一般": 1},
        "by_status": {S.ANSWERED: 2, S.BUSY: 1, S.QUEUED: 1, S.UNKNOWN: 1},
        "holding_seconds": None,  # too few calls have ended to tell
        "own_hours": [],  # no contact asked for its own hours
        "billed_minutes": {},  # no receipt reported a duration
    }


def test_a_poll_reads_no_call_while_the_cube_is_fresh(calls, running_campaign, staff_client):
    aggregates.refresh_snapshot(running_campaign)
    url = reverse("admin:campaigns_campaign_progress") + f"?ids={running_campaign.pk}"
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(url)
    assert response.status_code == 200
    assert response.json()[str(running_campaign.pk)]["answered"] == 2
    assert not [q["sql"] for q in queries if "campaigns_call" in q["sql"]]

    list_page = reverse("admin:campaigns_campaign_changelist")
    change_page = reverse("admin:campaigns_campaign_change", args=[running_campaign.pk])
    for page in (list_page, change_page):
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(page).status_code == 200
        assert not [q["sql"] for q in queries if '"campaigns_call"' in q["sql"]], page


def test_a_cube_dear_to_compute_is_kept_longer(running_campaign):
    now = timezone.now()
    snapshot = ResultSnapshot(campaign=running_campaign, cube=[], computed_at=now - dt.timedelta(seconds=20))
    snapshot.compute_ms = 100
    assert not aggregates.is_fresh(snapshot, running_campaign, now)
    snapshot.compute_ms = 15_000  # a 10 M-call campaign: refreshed at most every 30 s
    assert aggregates.is_fresh(snapshot, running_campaign, now)


def test_a_cube_taken_after_the_campaign_finished_stays_fresh(running_campaign):
    now = timezone.now()
    running_campaign.state = Campaign.State.COMPLETED
    running_campaign.finished_at = now - dt.timedelta(days=2)
    snapshot = ResultSnapshot(campaign=running_campaign, cube=[], computed_at=now - dt.timedelta(days=1))
    assert aggregates.is_fresh(snapshot, running_campaign, now)
    snapshot.computed_at = running_campaign.finished_at + dt.timedelta(seconds=1)  # late receipts may follow
    assert not aggregates.is_fresh(snapshot, running_campaign, now)


def test_a_draft_shows_the_numbers_it_will_call_without_a_snapshot(campaign):
    figures = aggregates.progress(campaign)
    assert (figures["contacts"], figures["pending"], figures["as_of"]) == (5, 0, None)
    assert not ResultSnapshot.objects.filter(campaign=campaign).exists()


def test_a_cube_a_page_asked_for_is_refreshed_by_the_settler(calls, running_campaign):
    """Workers may all be dialling for minutes: the dispatcher's tick / settle_receipts refresh it."""
    old = timezone.now() - dt.timedelta(minutes=5)
    ResultSnapshot.objects.create(
        campaign=running_campaign, cube=[], computed_at=old, compute_ms=5000, refresh_requested_at=old
    )
    assert aggregates.progress(running_campaign)["answered"] == 0  # stale, a refresh asked for

    assert aggregates.refresh_requested() == 1
    assert aggregates.progress(running_campaign)["answered"] == 2
    assert ResultSnapshot.objects.get(campaign=running_campaign).refresh_requested_at is None
