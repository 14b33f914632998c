"""A push of 100 receipts costs a few queries, not hundreds."""

import datetime as dt

import pytest

from campaigns.models import Call, Contact
from receipts.models import Receipt
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def hundred_calls(running_campaign, contact_list):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", name=f"李四{n}") for n in range(100)
    )
    contacts = list(Contact.objects.filter(phone__startswith="1390000").order_by("phone"))
    return Call.objects.bulk_create(
        Call(
            campaign=running_campaign,
            contact=c,
            phone=c.phone,
            status=Call.Status.PLACED,
            out_id=f"o{n}",
            call_id=f"c{n}^1" if n % 10 else None,  # every tenth receipt outran the CallId write
            sent_at=dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC),
        )
        for n, c in enumerate(contacts)
    )


def mixed_batch() -> list[dict]:
    batch = []
    for n in range(100):
        if n % 4 == 0:
            batch.append(key_press(n, "1"))
        elif n % 4 == 1:
            batch.append(record(n, dtmf="2"))
        elif n % 4 == 2:
            batch.append(record(n, "200003", start="", duration="0"))  # retried
        else:
            batch.append(record(n, "200002", start="", duration="0"))  # retried
    return batch


def test_batch_of_100_in_a_few_queries(post_receipts, hundred_calls, django_assert_max_num_queries):
    # The webhook stores the push in one; settling it (select, ingest, delete, look again) takes the
    # rest, with one look for webhook endpoints subscribed to call.settled (none here: nothing
    # written). SQLite splits the big statements; PostgreSQL needs 23.
    with django_assert_max_num_queries(27):
        assert post_receipts(mixed_batch()).status_code == 200
    assert Receipt.objects.filter(matched_call__isnull=False).count() == 100
    assert Call.objects.filter(attempt=2).count() == 50
    assert Call.objects.filter(status=Call.Status.ANSWERED, answer_label__in=["满意", "一般"]).count() == 50
    assert Call.objects.filter(call_id__isnull=True).count() == 50  # only the retries, not yet dialled


def test_replayed_batch_in_even_fewer(post_receipts, hundred_calls, django_assert_max_num_queries):
    post_receipts(mixed_batch())
    with django_assert_max_num_queries(14):
        assert post_receipts(mixed_batch()).status_code == 200
    assert Call.objects.count() == 150
