"""What a campaign will cost: a price per minute per account (VOICE_PRICE_PER_MINUTE for the
environment's), an estimate beside the forecast before Start, the spend so far from the
receipts' durations on the campaign's page, and each call's duration in the call list."""

import html
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns.accounts import VoiceAccount
from campaigns.models import Call

pytestmark = pytest.mark.django_db


def start_page(client, campaign) -> str:
    response = client.get(reverse("admin:campaigns_campaign_transition", args=[campaign.pk, "start"]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def one_attempt(campaign):
    campaign.max_attempts = 1  # no retries: the calls still to make are the 5 contacts
    campaign.expected_call_seconds = 70  # billed as 2 minutes
    campaign.save()
    return campaign


def test_the_start_page_estimates_the_cost_at_the_environments_price(staff_client, one_attempt, settings):
    settings.VOICE_PRICE_PER_MINUTE = 0.12
    page = start_page(staff_client, one_attempt)
    assert "Cost: up to about ¥1.20 for 5 calls (2 min each" in page
    assert "at ¥0.12 a minute" in page


def test_an_accounts_own_price_wins(staff_client, one_attempt, caller, settings):
    settings.VOICE_PRICE_PER_MINUTE = 0.12
    account = VoiceAccount(name="华东", access_key_id="LTAI5tCostKeyId", price_per_minute=Decimal("0.3"))
    account.set_secret("s" * 30)
    account.save()
    caller.account = account
    caller.save()
    page = start_page(staff_client, one_attempt)
    assert "Cost: up to about ¥3.00 for 5 calls" in page


def test_staff_set_an_accounts_price_in_the_admin(staff_client):
    account = VoiceAccount(name="华北", access_key_id="LTAI5tPriceKeyId")
    account.set_secret("s" * 30)
    account.save()
    url = f"/admin/campaigns/voiceaccount/{account.pk}/change/"
    data = {"name": "华北", "access_key_id": "", "secret": "", "endpoint": account.endpoint, "qps": 100}
    response = staff_client.post(url, {**data, "price_per_minute": "0.105"})
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.price_per_minute == Decimal("0.105")
    assert "0.1050" in staff_client.get("/admin/campaigns/voiceaccount/").content.decode()


def test_the_campaign_page_shows_the_estimate_and_the_spend_so_far(
    staff_client, placed_calls, running_campaign, settings
):
    settings.VOICE_PRICE_PER_MINUTE = 0.1
    # Receipts reported: 61 s (2 billed minutes), 30 s (1), 120 s (2), not answered (nothing).
    for call, seconds in zip(placed_calls, [61, 30, 120, 0], strict=False):
        Call.objects.filter(pk=call.pk).update(status=Call.Status.ANSWERED, duration=seconds)
    page = html.unescape(
        staff_client.get(reverse("admin:campaigns_campaign_change", args=[running_campaign.pk])).content.decode()
    )
    assert "Spent so far" in page
    assert "¥0.50" in page and "5 billed minutes" in page
    assert "Cost still to come" in page  # one call is still placed

    out = io.StringIO()
    call_command("campaign", "status", str(running_campaign.pk), "--json", stdout=out)
    cost = json.loads(out.getvalue())["cost"]
    assert cost["billed_minutes"] == 5 and cost["spent"] == "0.50"
    text = io.StringIO()
    call_command("campaign", "status", str(running_campaign.pk), stdout=text)
    assert "cost       ¥0.50 spent (5 billed minutes), up to ¥" in text.getvalue()


def test_each_calls_duration_shows_in_the_call_list(staff_client, placed_calls):
    Call.objects.filter(pk=placed_calls[0].pk).update(status=Call.Status.ANSWERED, duration=47)
    page = staff_client.get(reverse("admin:campaigns_call_changelist")).content.decode()
    assert "duration (s)" in page.lower() or "Duration (s)" in page
    assert '<td class="field-duration">47</td>' in page


def test_the_estimate_in_chinese(staff_client, one_attempt, settings):
    settings.VOICE_PRICE_PER_MINUTE = 0.1
    response = staff_client.get(
        reverse("admin:campaigns_campaign_transition", args=[one_attempt.pk, "start"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    page = html.unescape(response.content.decode())
    assert "费用：最多约 ¥1.00" in page


def test_account_add_takes_a_price_and_account_list_shows_it(settings, monkeypatch):
    settings.VOICE_PRICE_PER_MINUTE = 0.11
    monkeypatch.setattr("sys.stdin", io.StringIO("s" * 30 + "\n"))
    call_command(
        "account",
        "add",
        "西南",
        "--access-key-id",
        "LTAI5tWestKeyId",
        "--price-per-minute",
        "0.095",
        stdout=io.StringIO(),
    )
    assert VoiceAccount.objects.get(name="西南").price_per_minute == Decimal("0.095")
    out = io.StringIO()
    call_command("account", "list", "--json", stdout=out)
    prices = {row["name"]: row["price_per_minute"] for row in json.loads(out.getvalue())["accounts"]}
    assert prices["西南"] == "0.0950" and Decimal(prices["default (environment)"]) == Decimal("0.11")
    from audit.models import AuditEvent

    assert AuditEvent.objects.get(event="account.added").changes["price_per_minute"] == [None, "0.095"]
