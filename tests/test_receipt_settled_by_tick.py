"""The webhook only stores a push; the dispatcher's next tick settles it."""

import json

import pytest

from campaigns.models import Call
from ivrsite.scheduler import tick
from receipts.models import PendingPush, Receipt
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def test_the_dispatcher_tick_settles_what_the_webhook_accepted(client, receipt_url, placed_calls, redis_conn):
    body = json.dumps([record(0, dtmf="1"), record(1, "200002", start="", duration="0")], ensure_ascii=False)
    response = client.generic("POST", receipt_url, body.encode(), content_type="application/json")

    assert response.status_code == 200
    assert PendingPush.objects.count() == 1 and not Receipt.objects.exists()
    assert Call.objects.get(out_id="o0").status == Call.Status.PLACED

    assert tick()["receipts"] == 2
    assert not PendingPush.objects.exists()
    assert Call.objects.get(out_id="o0").status == Call.Status.ANSWERED
    assert Call.objects.get(out_id="o1").status == Call.Status.BUSY
