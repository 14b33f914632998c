"""QueryCallDetailByCallId is signed with the account of the caller number each call went out
on: a call placed through a stored account is asked about with that account's keys, one
placed through the environment's account with the environment's."""

import datetime as dt

import pytest

from campaigns import accounts
from campaigns.accounts import VoiceAccount
from campaigns.dialling import aliyun
from campaigns.models import CallerNumber
from receipts.jobs import reconcile_calls

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)


def test_each_call_is_queried_with_its_own_numbers_account(settings, monkeypatch, placed_calls, caller):
    settings.ALIYUN_ACCESS_KEY_ID, settings.ALIYUN_ACCESS_KEY_SECRET = "env-key-id", "env-secret"
    east = VoiceAccount(name="华东", access_key_id="east-key-id", endpoint="https://dyvmsapi.aliyuncs.com/")
    east.set_secret("east-secret")
    east.save()
    accounts._clients.clear()
    east_number = CallerNumber.objects.create(number="02155550000", account=east)
    placed_calls[0].caller_number = east_number
    placed_calls[0].save()
    placed_calls[1].caller_number = caller  # no account: the environment's
    placed_calls[1].save()
    asked: dict[str, str] = {}

    def query_call_detail(self, call_id, query_date):
        asked[call_id] = self.access_key_id
        return None

    monkeypatch.setattr(aliyun.VoiceClient, "query_call_detail", query_call_detail)

    reconcile_calls(now=NOW)

    assert asked[placed_calls[0].call_id] == "east-key-id"
    assert asked[placed_calls[1].call_id] == "env-key-id"
