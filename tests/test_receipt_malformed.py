"""Bodies we cannot read get a clear 4xx and are kept for staff; bad elements do not sink good ones."""

import json

import pytest

from campaigns.models import Call
from receipts.models import Receipt, RejectedPush
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def test_not_json_is_400_and_kept(post_receipts):
    response = post_receipts(b"call_id=1&status=2")
    assert response.status_code == 400
    assert "not JSON" in response.json()["msg"]
    rejected = RejectedPush.objects.get()
    assert rejected.reason == RejectedPush.Reason.NOT_JSON
    assert rejected.body == "call_id=1&status=2"
    assert Receipt.objects.count() == 0


def test_invalid_utf8_is_400_and_kept_readably(post_receipts):
    response = post_receipts(b'[{"call_id": "\xff\xfe"}]')
    assert response.status_code == 400
    assert RejectedPush.objects.get().body.startswith('[{"call_id": "')


@pytest.mark.parametrize("body", [{"call_id": "c0^1"}, "text", 42, None])
def test_not_an_array_is_400_and_kept(post_receipts, body):
    response = post_receipts(json.dumps(body).encode())
    assert response.status_code == 400
    assert "array" in response.json()["msg"]
    assert RejectedPush.objects.get().reason == RejectedPush.Reason.WRONG_SHAPE


def test_too_large_is_413_and_noted(post_receipts, settings):
    settings.RECEIPT_MAX_BODY_BYTES = 1000
    response = post_receipts([record(0, call_id="x" * 60) for _ in range(20)])
    assert response.status_code == 413
    rejected = RejectedPush.objects.get()
    assert rejected.reason == RejectedPush.Reason.TOO_LARGE
    assert rejected.size > 1000
    assert Receipt.objects.count() == 0


def test_bad_elements_are_stored_as_malformed_and_good_ones_processed(post_receipts, placed_calls):
    bad = [
        "just a string",
        17,
        ["nested"],
        {"status_code": "200000"},  # no call_id, no out_id
        {"call_id": "c1^1", "out_id": "o1"},  # no status code
        {"call_id": {"x": 1}, "status_code": "200000"},
        {"call_id": "c" * 200, "status_code": "200000"},
    ]
    response = post_receipts([*bad, record(0, dtmf="1")])
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "接收成功"}
    malformed = Receipt.objects.filter(kind=Receipt.Kind.MALFORMED)
    assert malformed.count() == len(bad)
    assert all(r.problem for r in malformed)
    canonical = lambda value: json.dumps(value, sort_keys=True)  # noqa: E731
    assert sorted(map(canonical, malformed.values_list("raw", flat=True))) == sorted(map(canonical, bad))
    assert Call.objects.get(out_id="o0").answer_label == "满意"
    assert Call.objects.get(out_id="o1").status == Call.Status.PLACED


def test_our_own_failure_keeps_the_body_and_asks_aliyun_to_resend(post_receipts, placed_calls, monkeypatch):
    def broken(elements):
        raise RuntimeError("database went away")

    monkeypatch.setattr("receipts.views.inbox.accept", broken)
    response = post_receipts([record(0)])
    assert response.status_code == 503
    rejected = RejectedPush.objects.get()
    assert rejected.reason == RejectedPush.Reason.SERVER_ERROR
    assert "database went away" in rejected.detail
    assert json.loads(rejected.body) == [record(0)]


def test_empty_array_is_fine(post_receipts):
    assert post_receipts([]).status_code == 200
    assert Receipt.objects.count() == 0 and RejectedPush.objects.count() == 0


def test_nan_is_not_json(post_receipts):
    response = post_receipts(b'[{"call_id": "c0^1", "status_code": "200000", "duration": NaN}]')
    assert response.status_code == 400
    assert RejectedPush.objects.get().reason == RejectedPush.Reason.NOT_JSON


def test_nul_characters_do_not_sink_the_batch(post_receipts, placed_calls):
    response = post_receipts(b'[{"call_id": "c0^1", "out_id": "o0", "status_code": "200000", "x": "a\\u0000b"}]')
    assert response.status_code == 200
    assert Receipt.objects.get().raw["x"] == "a\ufffdb"
