"""A receipt racing another settlement of the same call: the receipt's outcome wins.

On PostgreSQL, two threads with their own connections are released together; one is
in the middle of its transaction (its rows locked, not yet committed) when the other acts,
which is exactly the window where a read-then-write without a re-check overwrote the
receipt. Both orders are run.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from campaigns import transitions
from campaigns.actions import campaigns as actions
from campaigns.dialling import aliyun, dispatch
from campaigns.models import Call, DoNotCall
from receipts.ingest import ingest
from tests.actors import OPERATOR
from tests.receipt_elements import record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and threads"),
]
S = Call.Status
HOLD_SECONDS = 0.5


def race(first, second) -> list[BaseException]:
    """Release both threads together; `first` holds its transaction open for a moment after
    its work, `second` acts while it does. Returns what either raised."""
    barrier = threading.Barrier(2)
    first_done = threading.Event()
    errors: list[BaseException] = []

    def run_first():
        try:
            barrier.wait()
            with transaction.atomic():
                first()
                first_done.set()
                time.sleep(HOLD_SECONDS)  # locks held, nothing committed yet
        except BaseException as exc:
            errors.append(exc)
        finally:
            first_done.set()
            connection.close()

    def run_second():
        try:
            barrier.wait()
            first_done.wait(timeout=10)
            second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def call_in(campaign, status: str) -> Call:
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = campaign.calls.order_by("pk").first()
    Call.objects.filter(pk=call.pk).update(status=status, out_id="o0", caller_number=campaign.caller_numbers.first())
    return Call.objects.select_related("campaign", "contact").get(pk=call.pk)


def answered_receipt():
    ingest([record(0, "200000", dtmf="1")])


@pytest.mark.parametrize("receipt_first", [True, False], ids=["receipt-in-flight", "operator-in-flight"])
def test_receipt_against_an_operator_settling_the_unknown_call(campaign, receipt_first):
    call = call_in(campaign, S.UNKNOWN)

    def operator():
        # The action's own transition, so the race can hold its transaction open (the action is
        # durable: it is never nested in another transaction in real use).
        transitions.do_settle_by_operator([call.pk], True, OPERATOR)

    errors = race(answered_receipt, operator) if receipt_first else race(operator, answered_receipt)

    assert not errors
    call.refresh_from_db()
    assert (call.status, call.dtmf) == (S.ANSWERED, "1")
    if receipt_first:  # the operator's transition was refused
        assert call.settled_at and call.note is None


@pytest.mark.parametrize(
    "answer",
    [
        aliyun.CallResult(aliyun.Outcome.PLACED, "c0^1", "OK", "OK"),
        aliyun.CallResult(aliyun.Outcome.UNKNOWN, None, "ReadTimeout", "timed out"),
        aliyun.CallResult(aliyun.Outcome.BLOCKED_NUMBER, None, "isv.BLACK_KEY_CONTROL_LIMIT", "blocked"),
    ],
    ids=lambda result: result.outcome.value,
)
@pytest.mark.parametrize("receipt_first", [True, False], ids=["receipt-in-flight", "dispatcher-in-flight"])
def test_receipt_against_the_dispatcher_recording_the_api_answer(campaign, answer, receipt_first):
    """The receipt can outrun the dispatcher's write of what the API answered."""
    call = call_in(campaign, S.SENDING)

    def dispatcher():
        dispatch.record_result(call, answer, dispatch.SendReport())

    errors = race(answered_receipt, dispatcher) if receipt_first else race(dispatcher, answered_receipt)

    assert not errors
    call.refresh_from_db()
    assert (call.status, call.dtmf, call.call_id) == (S.ANSWERED, "1", "c0^1")
    if receipt_first:  # the dispatcher's transition was refused, with all of its side effects
        assert not DoNotCall.objects.exists()
        assert not campaign.calls.filter(attempt=2).exists()
