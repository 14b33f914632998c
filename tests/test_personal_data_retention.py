"""Issue 22's third "done when": a retention run on a campaign past its period leaves its
dashboard figures identical and no clear number behind; the campaign page says when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from campaigns import retention
from campaigns.models import Campaign, Contact
from receipts.models import Receipt
from results import aggregates
from tests.personal_data import figures_of, tables_quoting
from tests.results_fixtures import OUTCOMES, finished_campaign

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def ended(campaign: Campaign, days_ago: int, **fields) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(finished_at=NOW - dt.timedelta(days=days_ago), **fields)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def past(caller, menu) -> Campaign:
    campaign = ended(finished_campaign(caller, menu), 181)
    call = campaign.calls.get(phone="13900000001")
    Receipt.objects.create(
        kind=Receipt.Kind.CALL_RECORD, raw={"callee": "13900000001"}, dedupe_key="k1", matched_call=call
    )
    return campaign


def test_a_retention_run_leaves_figures_identical_and_no_clear_number(past, staff_client):
    figures = figures_of(past)
    assert retention.remove_expired_personal_data(NOW) == 1
    assert figures_of(past) == figures
    aggregates.refresh_snapshot(past)  # a recount from the hashed calls adds up the same
    assert figures_of(past) == figures
    for phone in OUTCOMES:
        assert tables_quoting(phone) == {}, phone
    assert set(Contact.objects.filter(contact_list__campaigns=past).values_list("name", flat=True)) == {""}
    assert Receipt.objects.get(dedupe_key="k1").raw == {}
    assert AuditEvent.objects.filter(event="personal_data.removed", campaign_id=past.pk, actor_kind="system").exists()
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[past.pk])).content.decode()
    assert "Personal data removed on" in page
    assert retention.remove_expired_personal_data(NOW) == 0  # done once


def test_within_its_period_or_kept_nothing_is_removed(caller, menu):
    recent = ended(finished_campaign(caller, menu, name="近期"), 10)
    kept = ended(finished_campaign(caller, menu, name="保留"), 400, keep_personal_data=True, keep_reason="诉讼保全")
    short = ended(finished_campaign(caller, menu, name="短期"), 8, retention_days=7)
    assert retention.remove_expired_personal_data(NOW) == 1
    for campaign in (recent, kept):
        campaign.refresh_from_db()
        assert campaign.personal_data_removed_at is None
    short.refresh_from_db()
    assert short.personal_data_removed_at is not None
    assert "13900000001" in {c.phone for c in Contact.objects.filter(contact_list__campaigns=recent)}


def test_keeping_needs_a_reason(campaign):
    campaign.keep_personal_data = True
    with pytest.raises(ValidationError, match="Say why"):
        campaign.clean()


def test_a_list_still_used_by_a_running_campaign_keeps_its_contacts(past, caller, menu):
    running = Campaign.objects.create(name="还在跑", menu=menu, state=Campaign.State.RUNNING)
    running.contact_lists.add(past.contact_lists.get())
    retention.remove_expired_personal_data(NOW)
    assert Contact.objects.filter(contact_list__campaigns=past, phone="13900000001").exclude(name="").exists()
    assert not past.calls.filter(phone="13900000001").exists()  # its calls are hashed all the same
