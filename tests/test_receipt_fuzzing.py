"""Webhook fuzzing (issue 7): whatever is posted, no 500, nothing lost, nothing counted twice.

A JSON array is taken (200 `{"code":0,…}`), its bad elements stored as malformed for staff;
any other body gets a clear 4xx and is kept whole as a RejectedPush. Replaying a batch changes
nothing. Each example runs in a transaction rolled back afterwards, so it starts from the
five placed calls of the `placed_calls` fixture.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns.models import Call
from receipts.ingest import parse_element
from receipts.models import Receipt, RejectedPush
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db

BODY_LIMIT = 20_000  # small, so that huge strings also reach the 413 path
MAX_DEPTH = 32  # the webhook refuses JSON nested deeper (receipts are flat objects in an array)
ACCEPTED = {"code": 0, "msg": "接收成功"}

fuzz = hypothesis_settings(
    max_examples=150,
    deadline=None,
    # The fixtures (placed calls, the webhook URL) are shared by the examples on purpose:
    # every example rolls its own writes back.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- strategies --------------------------------------------------------------------------

NASTY = st.sampled_from(
    [
        *("\x00", "\ud800", "\udfff", "\\u0000", "\\", '"', "\n", "\u202e", "\ufeff"),
        *("😀", "𠮷", "中文", "接收成功", "²", "ـ"),
    ]
)
texts = st.one_of(st.text(max_size=12), st.lists(st.one_of(st.text(max_size=3), NASTY), max_size=6).map("".join))
huge_texts = st.builds(
    lambda char, n: char * n, st.sampled_from(["x", "长", "😀", "9", "\x00"]), st.integers(65, 9_000)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)


def json_trees(leaves: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=10
    )


json_values = json_trees(scalars)
# NaN and ±Infinity are not JSON: a body holding one must be refused whole.
any_json_values = json_trees(scalars | st.sampled_from([float("nan"), float("inf"), float("-inf")]))
odd_strings = st.sampled_from(["", " ", "NaN", "Infinity", "-1", "1e400", "0", "null", "c0^1 ", "o0\x00", "9" * 40])
# Times out of range once in UTC, digits that are not ASCII, milliseconds past any year, …
odd_times = st.sampled_from(
    [
        *("0001-01-01 00:00:00", "9999-12-31 23:59:59-08:00", "²", "١٢٣", "9" * 400, "1793412000000", "-1", "0"),
        *("2026-02-30 10:00:00", "2026-11-02T10:00:00+14:00", "2026-11-02 10:00:00\x00", "24:00"),
    ]
) | st.integers(min_value=-(10**400), max_value=10**400)
wrong = st.one_of(
    scalars, odd_strings, huge_texts, st.lists(scalars, max_size=3), st.dictionaries(texts, scalars, max_size=3)
)
times = st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S"))
codes = st.sampled_from(["200000", "200001", "200002", "200003", "200004", "200005", "200101", "300000", "999999"])
call_numbers = st.integers(0, 5)  # 5 is no placed call


def mix(*choices: st.SearchStrategy) -> st.SearchStrategy:
    """Each choice as likely as the next (`one_of` would flatten nested choices into its own)."""
    return st.sampled_from(choices).flatmap(lambda choice: choice)


def either(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the right kind of value, else anything."""
    return mix(valid, valid, wrong)


receipt_like = st.fixed_dictionaries(
    {
        "call_id": either(call_numbers.map(lambda n: f"c{n}^1") | call_numbers),
        "out_id": either(call_numbers.map(lambda n: f"o{n}")),
        "status_code": either(codes | codes.map(int)),
    },
    optional={
        "status_time": either(mix(times, odd_times)),
        "start_time": either(mix(times, odd_times, st.just(""))),
        "end_time": either(mix(times, odd_times)),
        "duration": either(st.integers(0, 600) | st.integers(0, 600).map(str)),
        "dtmf": either(st.text("0123456789*#", max_size=6)),
        "status_msg": either(st.just("执行完成")),
        "smart_status_code": wrong,
    },
)
valid_elements = st.one_of(
    st.builds(key_press, call_numbers, st.text("123456789*#", min_size=1, max_size=3), times),
    st.builds(
        record,
        call_numbers,
        codes,
        dtmf=st.text("123", max_size=2),
        start=times | st.just(""),
        end=times,
        duration=st.integers(0, 600) | st.integers(0, 600).map(str) | st.just(""),
    ),
)


def with_repeats(elements: list) -> st.SearchStrategy:
    """The batch, with some of its elements sent again (Aliyun repeats itself)."""
    if not elements:
        return st.just(elements)
    return st.lists(st.sampled_from(elements), max_size=3).map(lambda again: elements + again)


batches = st.lists(st.one_of(valid_elements, receipt_like, json_values), max_size=8).flatmap(with_repeats)
valid_batches = st.lists(valid_elements, min_size=1, max_size=10).flatmap(with_repeats)


def encode(value: object, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only)
    # Lone surrogates cannot be UTF-8: "surrogatepass" writes them anyway (then it is not UTF-8).
    return text.encode("utf-8", "surrogatepass")


def nested(depth: int, dicts: bool) -> bytes:
    return (b'{"a":' * depth + b"1" + b"}" * depth) if dicts else (b"[" * depth + b"]" * depth)


bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(encode, any_json_values, st.booleans()),
    st.builds(encode, batches, st.booleans()),
    st.builds(lambda body: b"\xef\xbb\xbf" + body, st.builds(encode, batches, st.just(True))),  # BOM
    st.builds(lambda body, cut: body[:cut], st.builds(encode, batches, st.just(True)), st.integers(0, 300)),
    st.builds(lambda depth, dicts: b"[" + nested(depth, dicts) + b"]", st.integers(25, 3000), st.booleans()),
    st.sampled_from([b"[1e400]", b"[-1e999]", b"[NaN]", b"[Infinity]", b"[]", b"null", b"", b"[{}]", b"\x00"]),
)


# --- what the webhook should have taken --------------------------------------------------

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Refused(Exception):
    pass


def _refuse(name):
    raise Refused(name)


def _check(value: object, depth: int) -> None:
    """Refused: a non-finite number (not JSON), or nesting deeper than MAX_DEPTH."""
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise Refused("out of range")
    if isinstance(value, list | dict):
        if depth > MAX_DEPTH:
            raise Refused("too deep")
        for item in value.values() if isinstance(value, dict) else value:
            _check(item, depth + 1)


def _storable(value: object) -> object:
    """NUL and lone surrogates cannot be stored: the webhook keeps the element with U+FFFD there."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def pushed_array(body: bytes) -> list | None:
    """The elements the webhook must take from this body; None if it must refuse the body."""
    try:
        value = json.loads(body.decode("utf-8-sig"), parse_constant=_refuse)
        if not isinstance(value, list):
            return None
        _check(value, 1)
    except (ValueError, RecursionError, Refused):
        return None
    return _storable(value)


def same(a: object, b: object) -> bool:
    """Equal as JSON: PostgreSQL's jsonb gives 1e16 back as 10000000000000000."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    return a == b


def assert_every_element_kept(elements: list) -> None:
    """One Receipt per distinct element (by its identity, the first one sent), none other."""
    first: dict[str, object] = {}
    for element in elements:
        first.setdefault(parse_element(element).dedupe_key, element)
    stored = {receipt.dedupe_key: receipt for receipt in Receipt.objects.all()}
    assert stored.keys() == first.keys()
    for key, receipt in stored.items():
        assert same(receipt.raw, first[key]), (receipt.raw, first[key])
        if not isinstance(receipt.raw, dict):
            assert receipt.kind == Receipt.Kind.MALFORMED
        if receipt.kind == Receipt.Kind.MALFORMED:
            assert receipt.problem and receipt.matched_call_id is None


def snapshot() -> tuple:
    receipts = list(Receipt.objects.order_by("pk").values_list("pk", "dedupe_key", "kind", "matched_call_id"))
    return receipts, list(Call.objects.order_by("pk").values())


# --- properties --------------------------------------------------------------------------


content_types = st.sampled_from(["application/json", "text/plain; charset=gbk", ""]) | st.text(max_size=300)


def assert_answered_and_recorded(post_receipts, body: bytes, content_type: str = "application/json") -> None:
    """No 5xx; an array is taken whole (200), anything else refused (4xx) and kept for staff."""
    response = post_receipts(body, CONTENT_TYPE=content_type)
    assert response.status_code < 500, response.content
    answer = response.json()
    elements = pushed_array(body)
    if len(body) > BODY_LIMIT:
        assert response.status_code == 413
        assert RejectedPush.objects.get().reason == RejectedPush.Reason.TOO_LARGE
        assert not Receipt.objects.exists()
    elif elements is None:
        assert response.status_code == 400, (body[:200], answer)
        assert answer["code"] != 0 and answer["msg"]
        rejected = RejectedPush.objects.get()
        assert rejected.reason in (RejectedPush.Reason.NOT_JSON, RejectedPush.Reason.WRONG_SHAPE)
        assert rejected.size == len(body)
        assert rejected.body == body.decode("utf-8", "replace").replace("\x00", "\ufffd")  # kept whole
        assert not Receipt.objects.exists()
    else:
        assert response.status_code == 200, (body[:200], answer)
        assert answer == ACCEPTED
        assert not RejectedPush.objects.exists()
        assert_every_element_kept(elements)


@fuzz
@given(body=bodies, content_type=content_types)
def test_any_body_is_answered_without_a_500_and_recorded(post_receipts, placed_calls, settings, body, content_type):
    settings.RECEIPT_MAX_BODY_BYTES = BODY_LIMIT
    with rolled_back():
        assert_answered_and_recorded(post_receipts, body, content_type)


def element(**fields) -> bytes:
    return json.dumps([{"call_id": "c0^1", "out_id": "o0", "status_code": "300000", "dtmf": "1", **fields}]).encode()


# Bodies that made the webhook answer 500 or 503 (Aliyun would resend them, then drop them).
FOUND = {
    "null element": b"[null]",
    "number out of range": b"[1e400]",
    "lone surrogate": element(status_msg="\ud800"),
    "time out of range in UTC": element(status_time="0001-01-01 00:00:00"),
    "digit that is not ASCII": element(status_time="²"),
    "milliseconds beyond floats": element(status_time=10**400),
    "more digits than int() takes": element(start_time="9" * 4301),
    "nested too deep to parse": b"[" * 5000 + b"]" * 5000,
}


@pytest.mark.parametrize("body", FOUND.values(), ids=FOUND.keys())
def test_bodies_that_once_broke_the_webhook(post_receipts, placed_calls, settings, body):
    settings.RECEIPT_MAX_BODY_BYTES = BODY_LIMIT
    assert_answered_and_recorded(post_receipts, body)


def test_a_long_content_type_is_kept_cut(post_receipts):
    response = post_receipts(b"not json", CONTENT_TYPE="application/" + "x" * 300)
    assert response.status_code == 400
    assert RejectedPush.objects.get().content_type == ("application/" + "x" * 300)[:200]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(post_receipts, placed_calls):
    assert post_receipts(element(status_msg="\\u0000")).status_code == 200
    assert Receipt.objects.get().raw["status_msg"] == "\\u0000"


@fuzz
@given(batch=batches)
def test_replaying_a_batch_changes_nothing(post_receipts, placed_calls, batch):
    with rolled_back():
        assert post_receipts(encode(batch, True)).status_code == 200
        first = snapshot()
        for again in (batch, list(reversed(batch))):
            response = post_receipts(encode(again, True))
            assert response.status_code == 200 and response.json() == ACCEPTED
        assert snapshot() == first
        assert not RejectedPush.objects.exists()


@fuzz
@given(batch=valid_batches)
def test_a_valid_batch_settles_each_call_once(post_receipts, placed_calls, batch):
    with rolled_back():
        assert post_receipts(batch).status_code == 200
        assert post_receipts(batch).status_code == 200
        assert not Receipt.objects.filter(kind=Receipt.Kind.MALFORMED).exists()
        named = {element["out_id"] for element in batch}
        for call in placed_calls:
            attempts = list(Call.objects.filter(phone=call.phone).order_by("attempt"))
            # At most one retry per contact, however often its receipts came; one latest attempt.
            assert [a.attempt for a in attempts] in ([1], [1, 2])
            assert [a.is_latest for a in attempts] == [False] * (len(attempts) - 1) + [True]
            first = attempts[0]
            if call.out_id not in named:
                assert first.status == Call.Status.PLACED and first.receipts.count() == 0
            elif len(attempts) == 2:
                assert first.status in first.campaign.retry_outcomes and attempts[1].status == Call.Status.QUEUED
