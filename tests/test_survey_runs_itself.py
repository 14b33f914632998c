"""A three-question branching survey started on 1,000 contacts: each contact's next question is
called only after their own answer, the branch's delay later and never sooner than the callee
guard allows; other answers, no answer and do-not-call end the survey for them; the tree
shows counts per question and the export has one row per contact."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, Contact, ContactList, MenuOption, MenuTemplate
from campaigns.quotas import HELD
from ivrsite.scheduler import tick
from surveys.models import Survey
from tests.dialling import RecordingClient
from tests.receipt_elements import record
from tests.test_results_export import read_csv

pytestmark = pytest.mark.django_db
S = Call.Status
CONTACTS = 1000
DELAY = dt.timedelta(minutes=10)
# Q1's key by contact index % 4: 满意 → Q2b, 不满意 → Q2a, 一般 → the end, "" → no answer.
Q1_KEYS = ["1", "3", "2", ""]


def menu_named(name: str, labels: list[str]) -> MenuTemplate:
    template = MenuTemplate.objects.create(name=name, start_code=f"TTS_{abs(hash(name)) % 10**6:06d}")
    for n, label in enumerate(labels, start=1):
        MenuOption.objects.create(template=template, key=str(n), label=label, code=f"TTS_9{n}", position=n)
    return template


@pytest.fixture
def survey_file(tmp_path, caller, menu):
    people = ContactList.objects.create(name="回访名单")
    Contact.objects.bulk_create(
        Contact(contact_list=people, phone=f"136{n:08d}", name=f"客户{n}", variables={"product": "宽带"})
        for n in range(CONTACTS)
    )
    menu_named("不满意原因", ["价格", "服务"])
    menu_named("推荐意愿", ["会推荐", "不会推荐"])
    caller.max_concurrent_calls = 5000
    caller.save()
    definition = {
        "name": "满意度回访",
        "lists": ["回访名单"],
        "callers": [caller.number],
        "window": "00:00-00:00",
        "questions": [
            {
                "id": "Q1",
                "menu": menu.name,
                "no_answer": {"max_attempts": 1},
                "branches": [
                    {"answer": "不满意", "ask": "Q2a", "delay_minutes": 10},
                    {"answer": "满意", "ask": "Q2b", "delay_minutes": 10},
                ],
            },
            {"id": "Q2a", "menu": "不满意原因", "no_answer": {"max_attempts": 1}},
            {"id": "Q2b", "menu": "推荐意愿", "no_answer": {"max_attempts": 1}},
        ],
    }
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    return path


def load_and_start(path) -> Survey:
    out = io.StringIO()
    call_command("survey", "load", str(path), "--actor", "研究员", stdout=out)
    survey_id = int(out.getvalue().strip().splitlines()[-1])
    call_command("survey", "start", str(survey_id), "--actor", "研究员", stdout=io.StringIO())
    return Survey.objects.get(pk=survey_id)


def dial_all(campaign: Campaign, client: RecordingClient) -> None:
    """Dial until no call of the campaign is due (a loaded machine may leave the pacer without a slot)."""
    for _round in range(10):
        dispatch.dial_campaign(campaign.pk, max_seconds=60, client=client)
        if not Call.objects.filter(campaign=campaign, status=S.QUEUED, due_at__lte=timezone.now()).exists():
            return


def answer(calls: list[Call], keys: dict[str, str], post_receipts) -> None:
    """Receipts for placed calls: a key press as the final record's dtmf, or no answer."""
    elements = []
    for call in calls:
        key = keys.get(call.phone, "")
        if key:
            elements.append({**record(0, dtmf=key, call_id=call.call_id), "out_id": call.out_id})
        else:
            no_answer = record(0, "200003", start="", duration="0", call_id=call.call_id)
            elements.append({**no_answer, "out_id": call.out_id})
    for start in range(0, len(elements), 500):
        post_receipts(elements[start : start + 500])


def test_a_branching_survey_asks_each_next_question_after_the_answer(
    survey_file, staff_client, post_receipts, redis_conn, settings
):
    settings.VOICE_QPS = 2000
    survey = load_and_start(survey_file)
    q1, q2a, q2b = (survey.questions.get(code=code).campaign for code in ("Q1", "Q2a", "Q2b"))
    assert q2a.followup_of == q1 and q2b.followup_of == q1
    assert Call.objects.filter(campaign__in=[q2a, q2b], status=S.QUEUED, due_at=HELD).count() == 2 * CONTACTS

    client = RecordingClient()
    dial_all(q1, client)
    assert len(client.requests) == CONTACTS
    for later in (q2a, q2b):  # nobody is asked a second question before answering the first
        dispatch.dial_campaign(later.pk, max_seconds=5, client=client)
    tick()
    assert len(client.requests) == CONTACTS

    phones = sorted(Contact.objects.values_list("phone", flat=True))
    q1_keys = {phone: Q1_KEYS[n % 4] for n, phone in enumerate(phones)}
    answer(list(Call.objects.filter(campaign=q1, status=S.PLACED)), q1_keys, post_receipts)
    summary = tick()["surveys"]
    assert summary == {"released": 500, "withdrawn": 1500}

    unhappy = {p for p, k in q1_keys.items() if k == "3"}
    happy = {p for p, k in q1_keys.items() if k == "1"}
    answered_at = dict(Call.objects.filter(campaign=q1).values_list("phone", "settled_at"))
    for campaign, expected in ((q2a, unhappy), (q2b, happy)):
        released = Call.objects.filter(campaign=campaign, status=S.QUEUED).exclude(due_at=HELD)
        assert set(released.values_list("phone", flat=True)) == expected
        for phone, due in released.values_list("phone", "due_at"):
            assert due == answered_at[phone] + DELAY  # their own answer, plus the branch's delay
        cancelled = Call.objects.filter(campaign=campaign, status=S.CANCELLED, note__code="call.branch_not_taken")
        assert cancelled.count() == CONTACTS - len(expected)

    # Not due before the delay is over; ten minutes later (the guard's minute long past: see
    # test_the_next_question_waits_for_the_callee_guard) they are asked.
    for campaign in (q2a, q2b):
        dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    assert len(client.requests) == CONTACTS
    Call.objects.filter(campaign__in=[q2a, q2b], status=S.QUEUED).update(due_at=F("due_at") - DELAY)
    settings.CALLEE_LIMITS = []
    for campaign in (q2a, q2b):
        dial_all(campaign, client)
    second = [r.called_number for r in client.requests[CONTACTS:]]
    assert sorted(second) == sorted(unhappy | happy)

    q2_keys = dict.fromkeys(second, "1")
    broke_off = sorted(unhappy)[-1]
    q2_keys[broke_off] = ""  # answered Q1, not Q2a: a partial
    answer(list(Call.objects.filter(campaign__in=[q2a, q2b], status=S.PLACED)), q2_keys, post_receipts)
    tick()
    for campaign in (q1, q2a, q2b):
        campaign.refresh_from_db()
        assert campaign.state == Campaign.State.COMPLETED
    survey.refresh_from_db()
    tick()
    survey.refresh_from_db()
    assert survey.state == Survey.State.FINISHED

    rows = read_csv(staff_client.get(reverse("results:chain-export", args=[q1.pk, "csv"])))
    assert len(rows) == CONTACTS + 1
    by_phone = {row[0]: row[3:] for row in rows[1:]}
    some_unhappy, some_happy = sorted(unhappy)[0], sorted(happy)[0]
    assert by_phone[some_unhappy][0] == "不满意" and by_phone[some_unhappy][1] == "价格"
    assert by_phone[broke_off][1] == "no answer"
    assert by_phone[some_happy][0] == "满意" and by_phone[some_happy][2] == "会推荐"

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = staff_client.get(reverse("surveys:tree", args=[survey.pk])).content.decode()
    assert 'data-question="Q2a"' in page and "不在此分支" in page
    assert '<b data-stage="answered">250</b>' in page  # Q2b's 250 answers
    # 满意 + 一般 + 不满意 (but one) answered every question on their path; one broke off.
    assert '<td data-field="complete">749</td>' in page and '<td data-field="partial">1</td>' in page
    assert "74.9%" in page  # RR1: 749 of 1,000 contacts


def test_the_next_question_waits_for_the_callee_guard(survey_file, post_receipts, redis_conn, settings):
    """Released at once after the answer (no delay), the next call still waits for the guard
    (here one call an hour per number, so that a slow machine cannot outwait it)."""
    settings.VOICE_QPS = 2000
    settings.CALLEE_LIMITS = [(1, 3600)]
    survey = load_and_start(survey_file)
    survey.questions.filter(code__in=["Q2a", "Q2b"]).update(delay_seconds=0)
    q1, q2a = (survey.questions.get(code=code).campaign for code in ("Q1", "Q2a"))
    client = RecordingClient()
    dial_all(q1, client)
    placed = list(Call.objects.filter(campaign=q1, status=S.PLACED))
    answer(placed, {call.phone: "3" for call in placed}, post_receipts)  # everybody 不满意
    tick()

    dispatch.dial_campaign(q2a.pk, max_seconds=10, client=client)

    assert len(client.requests) == CONTACTS  # none of Q2a went out
    sent = dict(Call.objects.filter(campaign=q1).values_list("phone", "sent_at"))
    deferred = Call.objects.filter(campaign=q2a, status=S.QUEUED)
    assert deferred.count() == CONTACTS
    assert all(due >= sent[phone] + dt.timedelta(hours=1) for phone, due in deferred.values_list("phone", "due_at"))


def test_an_opt_out_ends_the_survey_for_the_contact(survey_file, post_receipts, redis_conn, settings, menu):
    settings.VOICE_QPS = 2000
    menu.options.filter(key="3").update(opt_out=True)  # 不满意 doubles as "don't call me again"
    survey = load_and_start(survey_file)
    q1, q2a = (survey.questions.get(code=code).campaign for code in ("Q1", "Q2a"))
    dial_all(q1, RecordingClient())
    placed = list(Call.objects.filter(campaign=q1, status=S.PLACED))
    assert len(placed) == CONTACTS
    answer(placed, {call.phone: "3" for call in placed}, post_receipts)
    tick()
    assert not Call.objects.filter(campaign=q2a, status=S.QUEUED).exists()
    assert Call.objects.filter(campaign=q2a, status=S.DNC).count() == CONTACTS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["questions"][0]["branches"][0].update(answer="生气"), "has no answer “生气”"),
        (lambda d: d["questions"][0]["branches"][0].update(ask="Q9"), "branches to an unknown question"),
        (lambda d: d["questions"][0].update(branches=d["questions"][0]["branches"][:1]), "No answer leads to: Q2b"),
        (lambda d: d.update(lists=["没有的名单"]), "Unknown contact lists: 没有的名单"),
    ],
)
def test_a_bad_survey_file_is_refused_in_one_line(survey_file, change, message):
    data = json.loads(survey_file.read_text(encoding="utf-8"))
    change(data)
    survey_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("survey", "load", str(survey_file), stdout=io.StringIO())
    assert not Survey.objects.exists()


def test_a_survey_starts_once(survey_file):
    survey = load_and_start(survey_file)
    with pytest.raises(CommandError, match="only a draft starts"):
        call_command("survey", "start", str(survey.pk), stdout=io.StringIO())
    assert Campaign.objects.count() == 3
