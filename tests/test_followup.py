"""Follow-up campaigns: a new draft over exactly a segment's contacts, variables kept, DNC never carried over."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from campaigns.actions import campaigns as actions
from campaigns.followups import chain, create_followup, run_followup_build
from campaigns.models import CallerNumber, Campaign, Contact, DoNotCall, FollowupBuild, MenuOption, MenuTemplate
from campaigns.segments import parse_all
from tests.actors import OPERATOR
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(caller, menu):
    source = finished_campaign(caller, menu)
    source.daily_start, source.daily_end = dt.time(10, 0), dt.time(19, 30)
    source.weekdays, source.max_attempts, source.retry_delay_seconds = [0, 1, 2], 4, 900
    source.timezone = "Asia/Urumqi"
    source.save()
    return source


def contacts_of(campaign):
    return sorted(Contact.objects.filter(contact_list__campaigns=campaign).values_list("phone", flat=True))


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["answer:不满意"], ["13900000002", "13900000003"]),
        (["status:no_answer", "status:busy"], ["13900000005", "13900000006"]),
        (["status:no_key"], ["13900000004"]),
        (["status:unreachable", "status:failed", "status:invalid", "status:unknown"], [
            "13900000007", "13900000008", "13900000009", "13900000010",
        ]),
        (["status:answered"], [
            "13900000001", "13900000002", "13900000003", "13900000004", "13900000011", "13900000012",
        ]),
    ],
)  # fmt: skip
def test_followup_holds_exactly_the_segment(done, codes, expected):
    followup = create_followup(done, "二次回访", parse_all(codes), actor=OPERATOR)

    assert followup.state == Campaign.State.DRAFT
    assert followup.followup_of == done
    assert followup.followup_segments == codes
    assert contacts_of(followup) == expected
    assert followup.followup_build.status == FollowupBuild.Status.DONE
    assert followup.followup_build.copied == len(expected)
    (new_list,) = followup.contact_lists.all()
    assert new_list not in done.contact_lists.all()


def test_followup_keeps_variables_names_and_the_source_settings(done, menu):
    Contact.objects.filter(phone="13900000003").update(variables={"product": "电视", "city": "温州"})

    followup = create_followup(done, "二次回访", parse_all(["answer:不满意"]), actor=OPERATOR)

    contact = Contact.objects.get(contact_list__campaigns=followup, phone="13900000003")
    assert (contact.name, contact.variables) == ("客户03", {"product": "电视", "city": "温州"})
    assert followup.menu == menu
    assert (followup.daily_start, followup.daily_end, followup.weekdays) == (dt.time(10, 0), dt.time(19, 30), [0, 1, 2])
    assert (followup.timezone, followup.max_attempts, followup.retry_delay_seconds) == ("Asia/Urumqi", 4, 900)
    assert list(followup.caller_numbers.all()) == list(done.caller_numbers.all())
    assert list(done.followups.all()) == [followup]


def test_followup_keeps_the_purpose_and_the_retention_period(done, menu):
    """A follow-up of a marketing campaign is marketing: Start checks its (other) menu for an
    opt-out key and enrols only contacts with recorded consent. Keeping data needs its own reason."""
    Campaign.objects.filter(pk=done.pk).update(
        purpose=Campaign.Purpose.MARKETING, retention_days=30, keep_personal_data=True, keep_reason="投诉处理中",
        dial_on_no_call_days=True, local_presence=Campaign.LocalPresence.FIRST, rest_unhealthy_numbers=True,
    )  # fmt: skip
    done.refresh_from_db()
    Contact.objects.filter(phone="13900000003").update(variables={"consent_source": "官网表单"})
    no_opt_out = MenuTemplate.objects.create(name="无退订", start_code="TTS_1", play_times=1, timeout_ms=5000)

    followup = create_followup(done, "营销二次", parse_all(["answer:不满意"]), menu=no_opt_out, actor=OPERATOR)

    assert (followup.purpose, followup.retention_days) == (Campaign.Purpose.MARKETING, 30)
    assert (followup.keep_personal_data, followup.keep_reason) == (False, "")
    assert (followup.dial_on_no_call_days, followup.local_presence, followup.rest_unhealthy_numbers) == (
        True, Campaign.LocalPresence.FIRST, True,
    )  # fmt: skip
    assert any("opt-out key" in problem for problem in actions.check_ready(followup))
    Campaign.objects.filter(pk=followup.pk).update(menu=menu)
    MenuOption.objects.create(template=menu, key="9", label="退订", opt_out=True, position=9)
    followup.refresh_from_db()
    assert actions.do_start_campaign(followup, actor=OPERATOR) == 1  # 13900000002 gave no consent
    assert list(followup.calls.values_list("phone", flat=True)) == ["13900000003"]


def test_overrides_replace_the_source_settings(done):
    short = MenuTemplate.objects.create(name="简短版", start_code="TTS_1", play_times=1, timeout_ms=5000)
    other = CallerNumber.objects.create(number="02188886666")

    followup = create_followup(
        done, "下周再打", parse_all(["status:no_answer"]), menu=short, list_name="未接名单",
        caller_numbers=[other], daily_start=dt.time(18, 0), daily_end=dt.time(21, 0),
        max_attempts=1, retry_delay_seconds=60,
        actor=OPERATOR,
    )  # fmt: skip

    assert followup.menu == short
    assert [c.name for c in followup.contact_lists.all()] == ["未接名单"]
    assert list(followup.caller_numbers.all()) == [other]
    assert (followup.daily_start, followup.daily_end, followup.max_attempts, followup.retry_delay_seconds) == (
        dt.time(18, 0), dt.time(21, 0), 1, 60,
    )  # fmt: skip


def test_do_not_call_numbers_are_never_carried_over(done):
    DoNotCall.objects.create(phone="13900000001", reason="opted out by key press")
    Contact.objects.filter(phone="13900000011").update(do_not_call=True)  # flagged by a later import

    followup = create_followup(done, "再问一次", parse_all(["status:answered"]), actor=OPERATOR)

    assert contacts_of(followup) == ["13900000002", "13900000003", "13900000004", "13900000012"]
    build = followup.followup_build
    assert (build.total, build.copied, build.left_out) == (6, 4, 2)


def test_the_followup_starts_and_enrols_its_contacts(done):
    followup = create_followup(done, "二次回访", parse_all(["answer:不满意"]), actor=OPERATOR)

    assert actions.do_start_campaign(followup, actor=OPERATOR) == 2
    assert followup.state == Campaign.State.RUNNING


def test_a_big_segment_is_copied_by_a_worker_and_cannot_start_before(done, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        followup = create_followup(done, "后台复制", parse_all(["status:answered"]), background=True, actor=OPERATOR)

    assert len(queued) == 1  # the RQ job, sent once the request's transaction commits
    assert contacts_of(followup) == []
    assert any("still being copied" in p for p in actions.check_ready(followup))
    with pytest.raises(ValidationError):
        actions.do_start_campaign(followup, actor=OPERATOR)

    run_followup_build(followup.followup_build.pk)  # what the worker runs

    build = FollowupBuild.objects.get(campaign=followup)
    assert (build.status, build.copied, build.progress_percent) == (FollowupBuild.Status.DONE, 6, 100)
    assert len(contacts_of(followup)) == 6
    assert actions.check_ready(followup) == []


def test_slices_copy_everything(done, monkeypatch):
    monkeypatch.setattr("campaigns.followups.MIN_SLICE", 2)
    monkeypatch.setattr("campaigns.followups.SLICES", 7)
    followup = create_followup(done, "分片", parse_all(["status:answered", "status:busy"]), actor=OPERATOR)
    assert len(contacts_of(followup)) == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "name"),
        ({"segments": parse_all(["status:invalid"]), "list_name": "回访一期 名单"}, "already exists"),
        ({"segments": []}, "at least one segment"),
    ],
)
def test_bad_input_creates_nothing(done, kwargs, message):
    before = (Campaign.objects.count(), Contact.objects.count())
    args = {"name": "x", "segments": parse_all(["status:busy"]), **kwargs}
    with pytest.raises(ValidationError, match=message):
        create_followup(done, args.pop("name"), args.pop("segments"), **args, actor=OPERATOR)
    assert (Campaign.objects.count(), Contact.objects.count()) == before


def test_an_empty_segment_or_a_draft_source_is_refused(done, campaign):
    Contact.objects.filter(phone="13900000009").delete()  # the only invalid number
    with pytest.raises(ValidationError, match="No contact"):
        create_followup(done, "x", parse_all(["status:invalid"]), actor=OPERATOR)
    with pytest.raises(ValidationError, match="has not started"):
        create_followup(campaign, "x", parse_all(["status:busy"]), actor=OPERATOR)


def test_chain_lists_the_first_campaign_then_every_followup(done):
    first = create_followup(done, "二次", parse_all(["answer:不满意"]), actor=OPERATOR)
    actions.do_start_campaign(first, actor=OPERATOR)
    first.calls.update(status="unknown")
    first.state = Campaign.State.COMPLETED
    first.save()
    second = create_followup(done, "未接", parse_all(["status:no_answer"]), actor=OPERATOR)
    third = create_followup(first, "三次", parse_all(["status:unknown"]), background=True, actor=OPERATOR)

    assert [c.pk for c in chain(third)] == [done.pk, first.pk, second.pk, third.pk]
    assert [c.pk for c in chain(done)] == [done.pk, first.pk, second.pk, third.pk]
