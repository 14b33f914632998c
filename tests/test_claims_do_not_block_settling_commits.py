"""A dial job's claim holds its caller numbers' rows while settling commits rows that point at
them: neither waits for the other, so they cannot deadlock.

Django makes foreign keys DEFERRABLE INITIALLY DEFERRED, so the settling transaction checks
the keys of the CallStats rows it wrote (`campaigns.call_stats.add`) at COMMIT, taking a KEY
SHARE lock on each caller number they name. A claim that locked those numbers FOR UPDATE
made that COMMIT wait; with the numbers locked in the claim's order and the keys checked in
the rows' order, each could hold a row the other wanted, and the 20 s-job soak benchmark saw
PostgreSQL break two such deadlocks (`while locking tuple … in relation
"campaigns_callernumber"`). Claims, settling and every other lock on call, campaign and
caller-number rows take FOR NO KEY UPDATE (they never change a key), which serialises them
against each other as before but lets key checks through.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.utils import timezone

from campaigns import call_stats
from campaigns.dialling.claiming import lock_caller_numbers
from campaigns.models import Call, CallerNumber, CallStats, Contact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and threads"),
]
S = Call.Status


def deadlocks_so_far() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def settled_calls(campaign, numbers: list[CallerNumber]) -> list[Call]:
    contacts = Contact.objects.bulk_create(
        Contact(contact_list=campaign.contact_lists.first(), phone=f"1390000{i:04d}") for i in range(len(numbers))
    )
    return Call.objects.bulk_create(
        Call(
            campaign=campaign,
            contact=contact,
            phone=contact.phone,
            status=S.ANSWERED,
            sent_at=timezone.now(),
            caller_number=number,
        )
        for contact, number in zip(contacts, numbers, strict=True)
    )


@contextlib.contextmanager
def a_claim_holding_the_caller_numbers(campaign) -> Iterator[threading.Thread]:
    """A dial job's claim, in another connection, holding every caller number of the campaign
    until the block ends."""
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def claim():
        try:
            with transaction.atomic():
                locked, _some = lock_caller_numbers(campaign, few=False)
                assert len(locked) == campaign.caller_numbers.count()
                holding.set()
                done.wait(timeout=30)
        except BaseException as exc:
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    claimer = threading.Thread(target=claim)
    claimer.start()
    try:
        assert holding.wait(timeout=10)
        yield claimer
    finally:
        done.set()
        claimer.join(timeout=30)
    assert [repr(e) for e in errors] == []


def test_settling_commits_while_a_claim_holds_the_caller_numbers(campaign):
    numbers = [campaign.caller_numbers.first()]
    numbers += [CallerNumber.objects.create(number=f"05717770{i:04d}") for i in range(3)]
    campaign.caller_numbers.add(*numbers[1:])
    calls = settled_calls(campaign, list(reversed(numbers)))
    before = deadlocks_so_far()
    with a_claim_holding_the_caller_numbers(campaign) as claimer:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")  # the old FOR UPDATE waited here
            call_stats.add(calls)
        # Committed (the deferred key checks passed) while the claim still holds every number.
        assert claimer.is_alive()
    assert CallStats.objects.filter(campaign=campaign).count() == len(numbers)
    assert deadlocks_so_far() == before


def test_claims_still_exclude_each_other(campaign):
    """FOR NO KEY UPDATE conflicts with itself: a second claim of the same numbers waits."""
    with a_claim_holding_the_caller_numbers(campaign):
        with pytest.raises(Exception, match="lock timeout"):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                lock_caller_numbers(campaign, few=False)
