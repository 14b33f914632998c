"""Dashboard figures on a known data set, the list filter, staff-only access, freshness."""

import datetime as dt

import pytest

from campaigns.models import Call, Campaign, Contact, ContactList
from receipts.models import ResultSnapshot
from results import aggregates

pytestmark = pytest.mark.django_db
S = Call.Status


def utc(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 2, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def vip_list(running_campaign) -> ContactList:
    vip = ContactList.objects.create(name="贵宾")
    Contact.objects.bulk_create(Contact(contact_list=vip, phone=f"1390000000{n}", name=f"王五{n}") for n in range(3))
    running_campaign.contact_lists.add(vip)
    return vip


@pytest.fixture
def known_calls(running_campaign, contact_list, vip_list):
    """8 contacts; times are UTC (Shanghai is +8)."""
    a = list(contact_list.contacts.order_by("phone"))
    b = list(vip_list.contacts.order_by("phone"))

    def call(contact, status, sent=None, key="", label="", attempt=1, latest=True, dtmf=""):
        return Call(
            campaign=running_campaign,
            contact=contact,
            phone=contact.phone,
            status=status,
            attempt=attempt,
            is_latest=latest,
            sent_at=sent,
            answered_at=sent + dt.timedelta(seconds=10) if status == S.ANSWERED else None,
            answer_key=key,
            answer_label=label,
            dtmf=dtmf or key,
        )

    return Call.objects.bulk_create(
        [
            call(a[0], S.ANSWERED, utc(2), "1", "满意"),
            call(a[1], S.ANSWERED, utc(3), "2", "一般"),
            call(a[2], S.NO_ANSWER, utc(2, 30), latest=False),
            call(a[2], S.ANSWERED, utc(5), attempt=2, dtmf="9"),
            call(a[3], S.BUSY, utc(2, 5)),
            call(a[4], S.QUEUED),
            call(b[0], S.ANSWERED, utc(6), "1", "满意"),
            call(b[1], S.UNKNOWN, utc(6, 1)),
            call(b[2], S.DNC),
        ]
    )


def test_headline_figures(known_calls, running_campaign):
    head = aggregates.dashboard_data(running_campaign)["headline"]
    assert {k: head[k] for k in ("contacts", "dialled", "answered", "completed", "pending", "unknown", "dnc")} == {
        "contacts": 8,
        "dialled": 6,
        "answered": 4,
        "completed": 3,
        "pending": 1,
        "unknown": 1,
        "dnc": 1,
    }
    assert head["answer_rate"] == 66.7


def test_charts(known_calls, running_campaign):
    charts = aggregates.dashboard_data(running_campaign)["charts"]
    assert charts["funnel"]["datasets"][0]["data"] == [8, 6, 4, 3]
    assert charts["answers"]["table"]["rows"] == [["1: 满意", 2, 66.7], ["2: 一般", 1, 33.3], ["3: 不满意", 0, 0.0]]
    assert charts["answers"]["no_key"] == 1
    outcomes = dict((row[0], row[1]) for row in charts["outcomes"]["table"]["rows"])
    assert outcomes == {
        "Answered": 4,
        "No answer": 0,
        "Busy": 1,
        "Unreachable": 0,
        "Failed or invalid": 0,
        "Do not call": 1,
        "Cancelled": 0,
        "Outcome unknown": 1,
        "Waiting to be called": 1,
    }
    # Every attempt, by the hour it was placed in Asia/Shanghai.
    assert charts["by_hour"]["table"]["rows"] == [
        ["10:00", 3, 1, 33.3],
        ["11:00", 1, 1, 100.0],
        ["13:00", 1, 1, 100.0],
        ["14:00", 2, 1, 50.0],
    ]
    over_time = charts["over_time"]
    assert over_time["labels"] == ["2026-11-02 10:00", "2026-11-02 11:00", "2026-11-02 13:00", "2026-11-02 14:00"]
    assert [d["label"] for d in over_time["datasets"]] == ["1: 满意", "2: 一般", "3: 不满意", "No menu key"]
    assert [d["data"] for d in over_time["datasets"]] == [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]


def test_list_filter(known_calls, running_campaign, vip_list):
    data = aggregates.dashboard_data(running_campaign, contact_list_id=vip_list.pk)
    head = data["headline"]
    assert (head["contacts"], head["dialled"], head["answered"], head["completed"]) == (3, 2, 1, 1)
    assert data["charts"]["answers"]["datasets"][0]["data"] == [1, 0, 0]


def test_empty_campaign(running_campaign):
    data = aggregates.dashboard_data(running_campaign)
    assert data["headline"]["contacts"] == 0 and data["headline"]["answer_rate"] is None
    assert all(chart["empty"] for chart in data["charts"].values())


def test_page_and_data_for_staff(simple_static, staff_client, known_calls, running_campaign, vip_list):
    page = staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/dashboard/")
    assert page.status_code == 200
    assert "vendor/chartjs/chart.umd.min.js" in page.text
    assert "满意" in page.text and "贵宾" in page.text
    assert "<table>" in page.text  # every chart has its table
    data = staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/dashboard/data/?list={vip_list.pk}")
    assert data.status_code == 200
    assert data.json()["headline"]["contacts"] == 3


def test_list_of_another_campaign_is_404(staff_client, running_campaign):
    other = ContactList.objects.create(name="其他")
    url = f"/receipts/campaigns/{running_campaign.pk}/dashboard/data/?list={other.pk}"
    assert staff_client.get(url).status_code == 404


def test_empty_page_renders(simple_static, staff_client, running_campaign):
    page = staff_client.get(f"/receipts/campaigns/{running_campaign.pk}/dashboard/")
    assert page.status_code == 200
    assert "No calls yet" in page.text


@pytest.mark.parametrize("path", ["dashboard/", "dashboard/data/", "export/csv/"])
def test_staff_only(client, django_user_model, running_campaign, path):
    url = f"/receipts/campaigns/{running_campaign.pk}/{path}"
    assert client.get(url).status_code == 302
    client.force_login(django_user_model.objects.create_user("clerk", password="x" * 12))
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_figures_are_reused_for_a_few_seconds_then_recomputed(known_calls, running_campaign):
    now = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    assert aggregates.dashboard_data(running_campaign, now=now)["headline"]["answered"] == 4
    Call.objects.filter(status=S.BUSY).update(status=S.ANSWERED)
    soon = now + dt.timedelta(seconds=aggregates.FRESH_SECONDS - 1)
    assert aggregates.dashboard_data(running_campaign, now=soon)["headline"]["answered"] == 4
    later = now + dt.timedelta(seconds=aggregates.FRESH_SECONDS + 1)
    assert aggregates.dashboard_data(running_campaign, now=later)["headline"]["answered"] == 5


def test_expensive_cube_is_refreshed_by_a_worker_once(known_calls, running_campaign, monkeypatch):
    queued = []

    class Queue:
        def enqueue(self, func, *args, **kwargs):
            queued.append(args)

    monkeypatch.setattr("django_rq.get_queue", lambda name: Queue())
    now = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    aggregates.dashboard_data(running_campaign, now=now)
    ResultSnapshot.objects.update(compute_ms=aggregates.INLINE_MS + 1)
    Call.objects.filter(status=S.BUSY).update(status=S.ANSWERED)
    later = now + dt.timedelta(seconds=aggregates.FRESH_SECONDS + 1)
    data = aggregates.dashboard_data(running_campaign, now=later)
    assert data["headline"]["answered"] == 4  # the stored figures, while the worker works
    assert data["age_seconds"] == aggregates.FRESH_SECONDS + 1
    aggregates.dashboard_data(running_campaign, now=later + dt.timedelta(seconds=1))
    assert queued == [(running_campaign.pk,)]
    aggregates.refresh_snapshot_job(running_campaign.pk)
    assert aggregates.dashboard_data(running_campaign)["headline"]["answered"] == 5


def test_figures_computed_before_the_campaign_finished_are_recomputed(known_calls, running_campaign):
    """A finished campaign's page stops polling, so figures from while it ran must not be served."""
    now = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
    assert aggregates.dashboard_data(running_campaign, now=now)["headline"]["answered"] == 4
    Call.objects.filter(status=S.BUSY).update(status=S.ANSWERED)
    finished = now + dt.timedelta(seconds=1)
    Campaign.objects.filter(pk=running_campaign.pk).update(state=Campaign.State.COMPLETED, finished_at=finished)
    running_campaign.refresh_from_db()
    soon = finished + dt.timedelta(seconds=1)  # still within FRESH_SECONDS of the first figures
    assert aggregates.dashboard_data(running_campaign, now=soon)["headline"]["answered"] == 5
