"""Issue 22's third "done when": a retention run on a campaign past its period leaves its
dashboard figures identical and no clear number behind; the campaign page says when.

"No clear number" is read off a dump of the whole database (every row of every table as text),
with the fixture putting the numbers everywhere a campaign's people end up: contacts, calls,
receipts, outbound webhook messages, an import's rejected rows and kept file, a cross-tab by a
variable holding numbers. Two documented exceptions stay: the do-not-call list (opt-outs are
honoured for good) and an audit event where staff typed a number (the trail is kept unaltered
for three years; only erasing a person rewrites it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.record import record
from campaigns import retention, webhook_events
from campaigns.models import Call, Campaign, Contact, DoNotCall, ImportJob
from campaigns.privacy import hashed_phone
from receipts.models import CrosstabSnapshot, Receipt
from results import aggregates, crosstab
from tests.actors import OPERATOR
from tests.personal_data import figures_of, tables_quoting
from tests.results_fixtures import OUTCOMES, finished_campaign
from webhooks.models import WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db
NOW = timezone.now()
REFERRER = "13700000099"  # no contact's number: only the value of a contact's variable
TYPED = "13900000011"  # staff typed it into an admin form: an audit event names it (kept)
OPTED_OUT = "13900000012"  # on the do-not-call list (kept)
KEPT_BY_DESIGN = {TYPED: {"audit_auditevent": 1}, OPTED_OUT: {"campaigns_donotcall": 1}}


def ended(campaign: Campaign, days_ago: int, **fields) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(finished_at=NOW - dt.timedelta(days=days_ago), **fields)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def past(caller, menu, settings, tmp_path) -> Campaign:
    settings.MEDIA_ROOT = tmp_path
    variables = {
        "13900000003": {"product": "宽带", "referrer": REFERRER},
        "13900000004": {"product": "宽带", "referrer": "13900000001"},
    }
    campaign = ended(finished_campaign(caller, menu, variables=variables), 181)
    call = campaign.calls.get(phone="13900000001")
    Receipt.objects.create(
        kind=Receipt.Kind.CALL_RECORD, raw={"callee": "13900000001"}, dedupe_key="k1", matched_call=call
    )
    contact_list = campaign.contact_lists.get()
    Contact.objects.filter(contact_list=contact_list, phone="13900000002").update(external_id="13900000002")
    # Outbound webhooks: every settled call, delivered or not, and an opt-out.
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", events=["call.settled", "contact.opted_out"])
    webhook_events.calls_settled(list(Call.objects.filter(campaign=campaign).select_related("campaign")))
    webhook_events.contacts_opted_out([campaign.calls.get(phone=OPTED_OUT, is_latest=True)])
    WebhookMessage.objects.filter(pk=WebhookMessage.objects.order_by("pk").first().pk).update(
        status=WebhookMessage.Status.DELIVERED, delivered_at=NOW
    )
    # An import's report quoting the file's cells, and its file still kept.
    job = ImportJob.objects.create(
        contact_list=contact_list,
        header=["手机号", "姓名"],
        rejected=[{"row": 9, "reason": {"code": "x"}, "cells": ["13900000005-1", "客户05"]}],
        rejected_count=1,
    )
    job.file.save("名单.csv", ContentFile("手机号,姓名\n13900000006,客户06\n".encode()))
    crosstab.refresh(campaign, "referrer")
    DoNotCall.objects.create(phone=OPTED_OUT, reason={"text": "按键退订"}, campaign=campaign)
    typed = Contact.objects.get(contact_list=contact_list, phone=TYPED)
    record(OPERATOR, "object.added", typed, changes={"phone": [None, TYPED], "name": [None, typed.name]})
    return campaign


def test_a_retention_run_leaves_figures_identical_and_no_clear_number(past, staff_client):
    everywhere = {phone: set(tables_quoting(phone)) for phone in OUTCOMES}
    assert {"campaigns_contact", "campaigns_call", "webhooks_webhookmessage"} <= everywhere["13900000002"]
    assert {"receipts_receipt", "receipts_crosstabsnapshot"} <= everywhere["13900000001"]
    assert "campaigns_importjob" in everywhere["13900000005"] and tables_quoting(REFERRER)
    figures = figures_of(past)
    table = CrosstabSnapshot.objects.get(campaign=past).table
    job = ImportJob.objects.get(contact_list__campaigns=past)
    file_path = job.file.path

    assert retention.remove_expired_personal_data(NOW) == 1

    assert figures_of(past) == figures
    aggregates.refresh_snapshot(past)  # a recount from the hashed calls adds up the same
    assert figures_of(past) == figures
    for phone in [*OUTCOMES, REFERRER]:
        assert tables_quoting(phone) == KEPT_BY_DESIGN.get(phone, {}), phone
    assert set(Contact.objects.filter(contact_list__campaigns=past).values_list("name", flat=True)) == {""}
    assert Receipt.objects.get(dedupe_key="k1").raw == {}
    # The cross-tab keeps its counts and groups; a value quoting a number is its hash.
    after = CrosstabSnapshot.objects.get(campaign=past).table
    assert [counts for _value, counts in after["values"]] == [counts for _value, counts in table["values"]]
    assert {value for value, _counts in after["values"]} == {"", hashed_phone(REFERRER), hashed_phone("13900000001")}
    # Webhook messages: the number's hash, no variables, whatever their state.
    data = [m.payload["data"] for m in WebhookMessage.objects.filter(event_type="call.settled")]
    assert {d["phone"] for d in data} == {hashed_phone(phone) for phone in OUTCOMES}
    assert {str(d["variables"]) for d in data} == {"{}"}
    job.refresh_from_db()
    assert (job.rejected, job.rejected_count, bool(job.file)) == ([], 1, False)  # the count stays
    assert not Path(file_path).exists()
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
    assert ImportJob.objects.get(contact_list__campaigns=past).rejected  # the list's import report too
    assert not past.calls.filter(phone="13900000001").exists()  # its calls are hashed all the same
