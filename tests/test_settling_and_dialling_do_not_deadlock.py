"""Settling receipts and recording placed calls lock the same call rows in one order: no deadlock.

The dispatcher's settling locks a batch's calls in id order (`receipts.ingest.lock_calls`)
while a dial job records the calls it placed, a batch at a time (`do_place_calls`). An
UPDATE that names several rows locks them in whatever order its scan meets them (the heap's,
once rows have moved), so the two could each hold a row the other waits for. Here the rows
lie in the heap in descending id order, the dial job's UPDATE is planned as on a table never
analysed (a bitmap heap scan: rows met in heap order), and both start while a third
transaction holds the middle row, so each has taken all it can before either goes on:
PostgreSQL must detect no deadlock, and the receipts' outcome must stand.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from campaigns import transitions
from campaigns.models import Call, Campaign, Contact
from receipts.ingest import ingest
from tests.receipt_elements import record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and threads"),
]
S = Call.Status
CALLS = 200


def deadlocks_so_far() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def sending_calls_in_descending_heap_order(campaign: Campaign) -> list[Call]:
    """CALLS calls in `sending`, inserted highest id first, so the heap holds them backwards."""
    contacts = Contact.objects.bulk_create(
        Contact(contact_list=campaign.contact_lists.first(), phone=f"139{i:08d}") for i in range(CALLS)
    )
    base = 1_000
    now = timezone.now()
    calls = [
        Call(
            pk=base + i,
            campaign=campaign,
            contact=contact,
            phone=contact.phone,
            status=S.SENDING,
            out_id=f"o{base + i}",
            sent_at=now,
            caller_number=campaign.caller_numbers.first(),
        )
        for i, contact in reversed(list(enumerate(contacts)))
    ]
    Call.objects.bulk_create(calls)
    return list(Call.objects.filter(pk__in=[c.pk for c in calls]).order_by("pk"))


def waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race_behind_a_held_row(held: Call, *jobs) -> list[BaseException]:
    """Start `jobs` in threads while another transaction holds `held`'s row, and let it go once
    every job waits for a lock: each job has then taken the rows it meets before that one."""
    errors: list[BaseException] = []
    holding, go = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(Call.objects.select_for_update().filter(pk=held.pk))
                holding.set()
                go.wait(timeout=30)
        finally:
            holding.set()
            connection.close()

    def run(job):
        try:
            holding.wait(timeout=30)
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while waiting_for_locks() < len(jobs) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.set()
    for thread in [holder, *threads]:
        thread.join(timeout=60)
    return errors


def test_settling_receipts_while_a_dial_job_records_placed_calls_finds_no_deadlock(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.RUNNING)
    calls = sending_calls_in_descending_heap_order(campaign)
    receipts = [record(call.pk, "200000", dtmf="1", call_id=f"c{call.pk}^1") for call in calls]
    before = deadlocks_so_far()

    def settle():
        ingest(receipts)

    def place():
        with connection.cursor() as cursor:
            # The plan a never-analysed campaigns_call gets (autovacuum off): a bitmap heap scan,
            # which meets the rows in heap order.
            cursor.execute("SET enable_indexscan = off")
        transitions.do_place_calls([(call, f"c{call.pk}^1") for call in calls])

    errors = race_behind_a_held_row(calls[len(calls) // 2], settle, place)

    assert [repr(e) for e in errors] == []
    assert deadlocks_so_far() == before
    # Whichever came first, the receipts' outcome stands.
    assert campaign.calls.filter(status=S.ANSWERED).count() == CALLS
