"""A stored account whose secret the configured keys cannot decrypt (DJANGO_SECRET_KEY rotated
without ACCOUNT_SECRETS_KEY): nothing is sent, no call becomes `sending` or `unknown`, every
claim is handed back, and the campaign pauses with a reason naming the account."""

import pytest

from campaigns import accounts
from campaigns.accounts import VoiceAccount
from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db


def test_unreadable_secret_pauses_the_campaign_with_nothing_sent(settings, campaign, caller, redis_conn):
    settings.ACCOUNT_SECRETS_KEY = ""
    account = VoiceAccount(name="华北-rotated", access_key_id="north-key-id", endpoint="https://dyvmsapi.aliyuncs.com/")
    account.set_secret("north-secret")
    account.save()
    caller.account = account
    caller.save()
    accounts._clients.clear()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    settings.SECRET_KEY = "a-rotated-secret-key-that-decrypts-nothing"

    report = dispatch.dial_campaign(campaign.pk, max_seconds=5)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "华北-rotated" in campaign.state_reason_text
    assert "华北-rotated" in report["stopped"]
    assert report["sent"] == 0
    statuses = set(campaign.calls.values_list("status", flat=True))
    assert statuses == {Call.Status.QUEUED}
    assert not campaign.calls.exclude(claim_token="").filter(status=Call.Status.CLAIMED).exists()
