"""Keys map to the frozen menu: first key that is an option wins; others are kept but answer nothing."""

import pytest

from campaigns.models import Call
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db


def settled(n: int) -> Call:
    return Call.objects.get(out_id=f"o{n}")


@pytest.mark.parametrize(
    ("dtmf", "key", "label"),
    [("1", "1", "满意"), ("2", "2", "一般"), ("93", "3", "不满意"), ("123456", "1", "满意"), ("#*0", "", "")],
)
def test_record_dtmf_maps_to_first_menu_key(post_receipts, placed_calls, dtmf, key, label):
    post_receipts([record(0, dtmf=dtmf)])
    call = settled(0)
    assert (call.dtmf, call.answer_key, call.answer_label) == (dtmf, key, label)
    assert call.status == Call.Status.ANSWERED


def test_several_key_presses_in_time_order(post_receipts, placed_calls):
    post_receipts([key_press(0, "2", at="2026-11-02 10:00:40"), key_press(0, "7", at="2026-11-02 10:00:20")])
    call = settled(0)
    assert (call.dtmf, call.answer_key, call.answer_label) == ("72", "2", "一般")


def test_key_not_in_menu_is_recorded_without_answer(post_receipts, placed_calls):
    post_receipts([key_press(0, "8")])
    call = settled(0)
    assert (call.dtmf, call.answer_key, call.answer_label, call.status) == ("8", "", "", Call.Status.ANSWERED)


def test_menu_changes_after_start_do_not_change_answers(post_receipts, placed_calls, menu):
    menu.options.filter(key="1").update(label="改过的标签")
    post_receipts([record(0, dtmf="1")])
    assert settled(0).answer_label == "满意"


def test_numeric_dtmf_and_duration_are_taken_leniently(post_receipts, placed_calls):
    post_receipts([record(0, dtmf="") | {"dtmf": 2, "duration": 12}, record(1, duration=""), record(2, duration=None)])
    assert (settled(0).answer_label, settled(0).duration) == ("一般", 12)
    assert settled(1).duration is None and settled(2).duration is None


def test_key_press_without_dtmf_settles_nothing(post_receipts, placed_calls):
    post_receipts([key_press(0, "")])
    assert settled(0).status == Call.Status.PLACED
