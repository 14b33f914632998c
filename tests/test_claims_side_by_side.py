"""Dial threads of a campaign with many caller numbers claim side by side, not one at a time.

A claim locks the caller numbers it hands calls to (their concurrency is checked under that
lock). Locking all of a campaign's numbers made every claim wait for every other; a claim now
takes a few numbers no other claim holds, and waits for the others only when those few are full.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import CallerNumber, Contact
from tests.actors import OPERATOR

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and threads"),
]


@pytest.fixture
def many_numbers(campaign):
    for i in range(7):
        campaign.caller_numbers.add(CallerNumber.objects.create(number=f"0571999900{i:02d}", max_concurrent_calls=50))
    contact_list = campaign.contact_lists.first()
    Contact.objects.bulk_create(Contact(contact_list=contact_list, phone=f"1370000{i:04d}") for i in range(100))
    actions.do_start_campaign(campaign, actor=OPERATOR)
    return campaign


def claim_while_another_claim_is_open(campaign, lock_timeout: str = "3s"):
    """Claim in a thread whose transaction stays open, then claim here meanwhile."""
    holding, done = threading.Event(), threading.Event()
    held: list = []

    def other_worker():
        try:
            with transaction.atomic():
                held.extend(dispatch.claim(campaign))
                holding.set()
                done.wait(timeout=30)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    holding.wait(timeout=30)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{lock_timeout}'")
        mine = dispatch.claim(campaign)
    finally:
        done.set()
        thread.join(timeout=30)
    return held, mine


def test_a_claim_goes_on_while_another_holds_some_numbers(many_numbers):
    held, mine = claim_while_another_claim_is_open(many_numbers)

    assert len(held) == len(mine) == dispatch.CLAIM_BATCH
    assert not {c.pk for c in held} & {c.pk for c in mine}
    # Each number's concurrency was checked under its own lock: no number is in both claims.
    assert not {c.caller_number_id for c in held} & {c.caller_number_id for c in mine}


def test_a_claim_looks_at_every_number_when_the_free_ones_are_full(many_numbers):
    many_numbers.caller_numbers.update(max_concurrent_calls=1)
    claimed = []
    while batch := dispatch.claim(many_numbers):
        claimed += batch
    # 8 numbers, one call each: all of them used, none twice, though a claim takes 4 at a time.
    assert sorted(c.caller_number_id for c in claimed) == sorted(
        many_numbers.caller_numbers.values_list("pk", flat=True)
    )
