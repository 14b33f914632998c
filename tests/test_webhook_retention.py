"""The webhook's leftovers are bounded: receipts that found no call and rejected pushes go after
WEBHOOK_RETENTION_DAYS and beyond their caps (oldest first) in the hourly housekeeping job;
receipts linked to a call stay; a rejected body is kept to its first 64 KB."""

import datetime as dt

import pytest
from django.utils import timezone

from ivrsite import housekeeping
from receipts.models import Receipt, RejectedPush
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def age(queryset, days: int) -> None:
    queryset.update(received_at=timezone.now() - dt.timedelta(days=days))


def test_old_unmatched_receipts_and_rejected_pushes_go_linked_receipts_stay(settings, post_receipts, placed_calls):
    settings.WEBHOOK_RETENTION_DAYS = 30
    post_receipts([record(0), record(9, call_id="zz^9") | {"out_id": "nobody"}, "not an object"])
    RejectedPush.objects.create(reason=RejectedPush.Reason.NOT_JSON, body="x")
    age(Receipt.objects.all(), 31)
    age(RejectedPush.objects.all(), 31)
    RejectedPush.objects.create(reason=RejectedPush.Reason.NOT_JSON, body="recent")

    counts = housekeeping.run()["prune_webhook_leftovers"]

    assert counts["receipts"] == 2 and counts["rejected_pushes"] == 1
    assert list(Receipt.objects.values_list("out_id", flat=True)) == ["o0"]  # linked: a result
    assert list(RejectedPush.objects.values_list("body", flat=True)) == ["recent"]


def test_beyond_the_cap_the_oldest_go_first(settings, post_receipts, placed_calls):
    settings.UNMATCHED_RECEIPTS_MAX, settings.REJECTED_PUSHES_MAX = 2, 1
    for n in range(4):
        post_receipts([record(10 + n, call_id=f"zz^{n}") | {"out_id": f"nobody{n}"}])
        age(Receipt.objects.filter(call_id=f"zz^{n}"), 10 - n)
        RejectedPush.objects.create(reason=RejectedPush.Reason.NOT_JSON, body=str(n))
        age(RejectedPush.objects.filter(body=str(n)), 10 - n)

    housekeeping.run()

    assert sorted(Receipt.objects.values_list("call_id", flat=True)) == ["zz^2", "zz^3"]
    assert list(RejectedPush.objects.values_list("body", flat=True)) == ["3"]


def test_a_rejected_body_is_kept_to_its_first_64_kb(client, receipt_url):
    response = client.post(receipt_url, data=b"x" * 1_000_000, content_type="application/json")
    assert response.status_code == 400
    assert len(RejectedPush.objects.get().body) == 64 * 1024
