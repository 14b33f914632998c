"""Staff start, pause, resume and cancel campaigns from the admin, with a confirmation step,
and see progress on the list and change pages."""

import pytest
from django.urls import reverse

from campaigns.models import Call, Campaign

pytestmark = pytest.mark.django_db


def transition_url(campaign, action):
    return reverse("admin:campaigns_campaign_transition", args=[campaign.pk, action])


def test_start_asks_for_confirmation_then_starts(staff_client, campaign):
    change = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert transition_url(campaign, "start") in change.content.decode()

    confirm = staff_client.get(transition_url(campaign, "start"))
    assert confirm.status_code == 200
    assert "Start calling?" in confirm.content.decode()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT  # a GET changes nothing

    done = staff_client.post(transition_url(campaign, "start"))
    assert done.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert campaign.calls.count() == 5


def test_pause_resume_cancel_buttons_follow_the_state(staff_client, campaign):
    staff_client.post(transition_url(campaign, "start"))
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert transition_url(campaign, "pause") in page
    assert transition_url(campaign, "start") not in page

    staff_client.post(transition_url(campaign, "pause"))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    staff_client.post(transition_url(campaign, "resume"))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    staff_client.post(transition_url(campaign, "cancel"))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    assert not campaign.calls.filter(status=Call.Status.QUEUED).exists()


def test_starting_an_unready_campaign_shows_why(staff_client, campaign):
    campaign.caller_numbers.clear()
    page = staff_client.get(transition_url(campaign, "start")).content.decode()
    assert "Add at least one active caller number." in page
    staff_client.post(transition_url(campaign, "start"), follow=True)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_progress_on_the_list_and_its_json(staff_client, campaign):
    staff_client.post(transition_url(campaign, "start"))
    Call.objects.filter(campaign=campaign, phone="13800130000").update(status=Call.Status.ANSWERED)

    listing = staff_client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert f'data-campaign="{campaign.pk}" data-figure="answered">1<' in listing

    data = staff_client.get(reverse("admin:campaigns_campaign_progress"), {"ids": str(campaign.pk)}).json()
    assert data[str(campaign.pk)]["answered"] == 1
    assert data[str(campaign.pk)]["contacts"] == 5


def test_anonymous_cannot_transition(client, campaign):
    response = client.post(transition_url(campaign, "start"))
    assert response.status_code == 302 and "login" in response["Location"]
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_change_page_links_to_dashboard_and_exports_once_started(staff_client, campaign):
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    export_csv = reverse("results:export", args=[campaign.pk, "csv"])
    assert export_csv not in staff_client.get(change_url).content.decode()
    staff_client.post(transition_url(campaign, "start"))

    page = staff_client.get(change_url).content.decode()

    assert reverse("results:dashboard", args=[campaign.pk]) in page
    assert export_csv in page
    assert staff_client.get(export_csv).status_code == 200


def test_weekdays_and_retry_outcomes_are_checkboxes(staff_client, campaign):
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = staff_client.get(change_url).content.decode()
    assert 'type="checkbox" name="weekdays" value="5"' in page
    assert 'type="checkbox" name="retry_outcomes" value="busy"' in page

    form = {
        "name": campaign.name,
        "purpose": "survey",
        "contact_lists": [campaign.contact_lists.first().pk],
        "caller_numbers": [campaign.caller_numbers.first().pk],
        "menu": campaign.menu_id,
        "timezone": "Asia/Shanghai",
        "daily_start": "09:00",
        "daily_end": "20:00",
        "weekdays": ["0", "1", "2", "3", "4"],
        "max_attempts": 3,
        "retry_delay_seconds": 600,
        "retry_outcomes": ["busy"],
    }
    response = staff_client.post(change_url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert campaign.weekdays == [0, 1, 2, 3, 4]
    assert campaign.retry_outcomes == ["busy"]


def test_a_new_campaign_starts_with_every_weekday_and_the_default_retries(staff_client, db):
    page = staff_client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    for day in range(7):
        assert f'name="weekdays" value="{day}" id="id_weekdays_{day}" checked' in page
    assert 'name="retry_outcomes" value="busy" id="id_retry_outcomes_1" checked' in page
    assert 'name="retry_outcomes" value="failed" id="id_retry_outcomes_3" checked' not in page


def test_change_page_shows_times_in_the_campaigns_zone(staff_client, campaign):
    import datetime as dt

    Campaign.objects.filter(pk=campaign.pk).update(
        timezone="Asia/Shanghai", starts_at=dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)
    )
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert 'name="starts_at_1" value="09:30:00"' in page  # 01:30 UTC is 09:30 in Shanghai
