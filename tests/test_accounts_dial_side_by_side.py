"""Several accounts (issue 26, "Speed"): each claimed batch goes through one account, so a dial
thread waits for one account's request slots only and a slow account never holds back calls of
another: every account's budget is usable at once."""

from __future__ import annotations

import pytest
from django.db import connection

from campaigns.accounts import DEFAULT_PACE_KEY, VoiceAccount
from campaigns.actions import campaigns as actions
from campaigns.dialling import claiming, dispatch
from campaigns.models import CallerNumber, Contact
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="dial threads need their own connections"),
]
QPS, SECONDS = 20, 2.0


@pytest.fixture
def two_accounts(settings, campaign, caller, contact_list, redis_conn):
    """The environment's account owns `caller`; account 华南 a second number; 20/s each."""
    settings.VOICE_QPS = QPS
    fast = VoiceAccount(name="华南", access_key_id="fast-key", endpoint="http://127.0.0.1:9/", qps=QPS)
    fast.set_secret("fast-secret")
    fast.save()
    number = CallerNumber.objects.create(number="02055550000", max_concurrent_calls=1000, account=fast)
    campaign.caller_numbers.add(number)
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(300)
    )
    actions.do_start_campaign(campaign, actor=OPERATOR)
    return caller, number


def test_each_batch_goes_through_one_account(two_accounts, campaign):
    slow, fast = two_accounts
    lanes = [claiming.claim_for_lane(campaign, lane) for lane in range(4)]
    assert [{call.caller_number_id for call in batch} for batch in lanes] == [{slow.pk}, {fast.pk}] * 2


def test_a_busy_account_does_not_hold_back_the_other(two_accounts, campaign, redis_conn):
    busy, free = two_accounts
    # Other workers have reserved the environment account's next 1.5 s of slots.
    seconds, micros = redis_conn.time()
    redis_conn.set(DEFAULT_PACE_KEY, seconds * 1_000_000 + micros + 1_500_000, px=60_000)
    client = RecordingClient()

    dispatch.dial_campaign(campaign.pk, max_seconds=SECONDS, client=client, threads=2)

    shown = [request.called_show_number for request in client.requests]
    # The free account sends near its whole budget while the busy one waits for its slots.
    assert shown.count(free.number) >= 0.75 * QPS * SECONDS
    assert shown.count(busy.number) <= claiming.CLAIM_BATCH  # its one batch, sent once its slots came
