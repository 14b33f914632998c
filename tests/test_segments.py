"""Segment membership: every final status, no key, answer labels; each contact once, by its latest attempt."""

import pytest
from django.core.exceptions import ValidationError

from campaigns import segments
from campaigns.segments import Segment
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(caller, menu):
    return finished_campaign(caller, menu)


def phones(campaign, *codes):
    calls = segments.segment_calls(campaign, segments.parse_all(list(codes)))
    return sorted(p[-2:] for p in calls.values_list("phone", flat=True))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("answer:满意", ["01", "12"]),  # 12 was busy first: its latest attempt counts
        ("answer:不满意", ["02", "03"]),
        ("answer:一般", ["11"]),
        ("status:answered", ["01", "02", "03", "04", "11", "12"]),
        ("status:no_key", ["04"]),
        ("status:no_answer", ["05"]),  # 02 did not answer first, but answered later
        ("status:busy", ["06"]),
        ("status:unreachable", ["07"]),
        ("status:failed", ["08"]),
        ("status:invalid", ["09"]),
        ("status:unknown", ["10"]),
    ],
)
def test_membership_by_latest_attempt(done, code, expected):
    assert phones(done, code) == expected


def test_several_segments_are_their_union_each_contact_once(done):
    assert phones(done, "answer:不满意", "status:no_answer", "status:answered") == [
        "01", "02", "03", "04", "05", "11", "12",
    ]  # fmt: skip


def test_counts_cover_every_segment_and_match_membership(done):
    rows = {row["code"]: row["count"] for row in segments.counts(done)}
    assert rows == {
        "answer:满意": 2,
        "answer:一般": 1,
        "answer:不满意": 2,
        "status:answered": 6,
        "status:no_answer": 1,
        "status:busy": 1,
        "status:unreachable": 1,
        "status:failed": 1,
        "status:invalid": 1,
        "status:unknown": 1,
        "status:no_key": 1,
    }
    for code, count in rows.items():
        assert len(phones(done, code)) == count


@pytest.mark.parametrize("code", ["", "answer:", "status:dialled", "colour:red", "no_answer"])
def test_unknown_segments_are_refused(code):
    with pytest.raises(ValidationError):
        Segment.parse(code)


def test_command_line_options_become_segments():
    assert [s.code for s in segments.from_options(statuses=["no_answer", "no_key"])] == [
        "status:no_answer",
        "status:no_key",
    ]
    assert [s.code for s in segments.from_options(answers=["不满意", "不满意"])] == ["answer:不满意"]
