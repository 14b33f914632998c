"""Calls placed long ago without a receipt are settled from QueryCallDetailByCallId; orphans relinked."""

import dataclasses
import datetime as dt

import pytest

from campaigns.models import Call
from receipts.ingest import ingest
from receipts.jobs import reconcile_calls, relink_orphans
from receipts.models import Receipt
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)  # an hour after the fixture calls were sent


@dataclasses.dataclass
class Detail:
    state: str
    duration: int | None = None
    start_date: str = ""
    end_date: str = ""


class FakeClient:
    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def query_call_detail(self, call_id, query_date):
        self.asked.append((call_id, query_date))
        answer = self.answers.get(call_id)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_placed_calls_without_receipt_are_queried_and_settled(placed_calls):
    ingest([record(0, dtmf="1")], now=NOW)  # call 0 has its receipt: not asked
    Call.objects.filter(pk=placed_calls[1].pk).update(status=Call.Status.UNKNOWN)
    client = FakeClient(
        {
            "c1^1": Detail("200000", 30, "2026-11-02 10:01:05", "2026-11-02 10:01:35"),
            "c2^1": Detail("200003", 0, "", "2026-11-02 10:02:30"),
            "c3^1": None,  # Aliyun has no record yet
            "c4^1": RuntimeError("isp.SYSTEM_ERROR"),
        }
    )
    counts = reconcile_calls(client, now=NOW)
    assert counts == {"asked": 4, "settled": 2, "no_record": 1, "errors": 1}
    assert sorted(call_id for call_id, _ in client.asked) == ["c1^1", "c2^1", "c3^1", "c4^1"]
    assert dict(client.asked)["c2^1"] == placed_calls[2].sent_at  # same day as the call
    answered = Call.objects.get(pk=placed_calls[1].pk)
    assert (answered.status, answered.duration, answered.answered_at) == (
        Call.Status.ANSWERED,
        30,
        dt.datetime(2026, 11, 2, 2, 1, 5, tzinfo=dt.UTC),
    )
    assert answered.answer_label == ""  # the query has no key presses
    assert Call.objects.get(pk=placed_calls[2].pk).status == Call.Status.NO_ANSWER
    assert Call.objects.filter(phone=placed_calls[2].phone, attempt=2).exists()  # retried
    assert Call.objects.get(pk=placed_calls[3].pk).status == Call.Status.PLACED


def test_recent_calls_are_left_to_their_receipts(placed_calls):
    client = FakeClient({})
    assert reconcile_calls(client, now=placed_calls[0].sent_at + dt.timedelta(minutes=5))["asked"] == 0
    assert client.asked == []


def test_orphan_receipt_is_linked_once_the_call_is_known(placed_calls):
    Call.objects.filter(pk=placed_calls[0].pk).update(out_id=None, call_id=None)
    ingest([key_press(0, "2", call_id="late^1")], now=NOW)
    assert Receipt.objects.get().matched_call is None
    Call.objects.filter(pk=placed_calls[0].pk).update(call_id="late^1")
    assert relink_orphans(now=NOW) == 1
    call = Call.objects.get(pk=placed_calls[0].pk)
    assert (call.status, call.answer_label) == (Call.Status.ANSWERED, "一般")
    assert relink_orphans(now=NOW) == 0
