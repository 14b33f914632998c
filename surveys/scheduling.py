"""Starting a survey, and asking each contact's next question after their own answer.

Starting creates the chain: one campaign per question (a follow-up of the question it
branches from), all over the survey's lists, and starts them. Every question but the first has
each of its calls held back at enrolment (due "never", `campaigns.quotas.HELD`). The
dispatcher's tick then runs `advance`: a held call whose contact answered the parent question
with the branch's answer becomes due that answer's time plus the branch's delay; one whose
contact's parent call ended any other way (another answer, no answer after the last attempt,
do-not-call, itself off the branch) is withdrawn (`off_branch`). Everything else is the
campaigns' own rules: the calling window, retries, the callee frequency guard and the
do-not-call list (an opt-out turns the contact's held calls into `dnc` at once).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.actors import Actor
from audit.record import record
from campaigns import transitions
from campaigns.actions import campaigns as campaign_actions
from campaigns.models import Call, Campaign
from campaigns.quotas import HELD
from surveys.definition import window
from surveys.models import Survey, SurveyQuestion

log = logging.getLogger(__name__)
S = Call.Status
OVER = (Campaign.State.COMPLETED, Campaign.State.CANCELLED)


def hold_branch_calls(campaign: Campaign) -> int:
    """Enrolment step: a question asked after an answer waits for that answer (all calls held)."""
    if not SurveyQuestion.objects.filter(campaign=campaign, parent__isnull=False).exists():
        return 0
    return Call.objects.filter(campaign=campaign, status=S.QUEUED).update(due_at=HELD)


def _campaign_for(survey: Survey, question: SurveyQuestion, parent: Campaign | None) -> Campaign:
    definition = survey.definition
    start, end = window(definition.get("window") or "09:00-20:00")
    campaign = Campaign.objects.create(
        name=f"{survey.name} · {question.code}",
        menu=question.menu,
        timezone=definition.get("timezone") or "Asia/Shanghai",
        daily_start=start,
        daily_end=end,
        max_attempts=question.max_attempts,
        retry_delay_seconds=question.retry_delay_seconds,
        followup_of=parent,
        followup_segments=[f"answer:{question.parent_answer}"] if parent else [],
    )
    campaign.contact_lists.set(survey.contact_lists.all())
    campaign.caller_numbers.set(survey.caller_numbers.all())
    record(Actor.system("surveys"), "campaign.created", campaign, changes={"survey": [None, survey.pk]})
    return campaign


def start_survey(survey: Survey, actor: Actor, now: dt.datetime | None = None) -> list[Campaign]:
    """draft → running: a campaign per question, parents first, checked, then each started (its
    contacts enrolled here, as `campaign start` does). Raises campaign_actions.TransitionError,
    creating nothing, when the survey is not a draft or a question's campaign could not start."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.state != Survey.State.DRAFT:
            raise campaign_actions.TransitionError(
                f"Survey “{survey.name}” is {locked.get_state_display()}; only a draft starts."
            )
        made: dict[int, Campaign] = {}
        for question in _parents_first(survey):
            parent = made.get(question.parent_id) if question.parent_id else None
            made[question.pk] = _campaign_for(survey, question, parent)
            SurveyQuestion.objects.filter(pk=question.pk).update(campaign=made[question.pk])
            problems = campaign_actions.check_ready(made[question.pk])
            if problems:
                raise campaign_actions.TransitionError([f"{question.code}: {p}" for p in problems])
        campaigns = list(made.values())
        Survey.objects.filter(pk=survey.pk).update(state=Survey.State.RUNNING, started_at=now)
        record(actor, "survey.started", survey, changes={"state": ["draft", "running"]}, rows=len(campaigns))
    for campaign in campaigns:  # each its own durable transaction, like any campaign's start
        campaign_actions.do_start_campaign(campaign, actor=actor)
    return campaigns


def _parents_first(survey: Survey) -> list[SurveyQuestion]:
    ordered: list[SurveyQuestion] = []
    frontier = list(survey.questions.filter(parent__isnull=True))
    while frontier:
        ordered += frontier
        frontier = list(SurveyQuestion.objects.filter(parent__in=frontier).order_by("position"))
    return ordered


def _took_branch(question: SurveyQuestion) -> Q:
    if question.parent_answer == SurveyQuestion.ANY_ANSWER:
        return Q(status=S.ANSWERED) & ~Q(answer_label="")
    return Q(status=S.ANSWERED, answer_label=question.parent_answer)


def advance_question(question: SurveyQuestion, now: dt.datetime) -> dict[str, int]:
    """Release or withdraw the held calls of one question after its parent's answers."""
    parent_calls = Call.objects.filter(campaign_id=question.parent.campaign_id, is_latest=True)
    took = parent_calls.filter(_took_branch(question))
    held = Call.objects.filter(campaign_id=question.campaign_id, status=S.QUEUED, due_at=HELD)
    answered_at = Subquery(took.filter(phone=OuterRef("phone")).values("settled_at")[:1])
    due = ExpressionWrapper(
        Coalesce(answered_at, Value(now)) + Value(dt.timedelta(seconds=question.delay_seconds)),
        output_field=DateTimeField(),
    )
    released = held.filter(phone__in=took.values("phone")).update(due_at=due)
    ended_elsewhere = parent_calls.filter(status__in=Call.FINAL).exclude(_took_branch(question))
    off = list(held.filter(phone__in=ended_elsewhere.values("phone")).values_list("pk", flat=True))
    withdrawn = transitions.do_withdraw_calls(question.campaign, off, "off_branch", now) if off else 0
    return {"released": released, "withdrawn": withdrawn}


def advance(survey: Survey, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass over a running survey, parents first (so a withdrawal reaches the whole branch)."""
    now = now or timezone.now()
    summary = {"released": 0, "withdrawn": 0}
    questions = _parents_first(survey)
    for question in questions:
        if question.parent_id and question.campaign_id:
            for key, n in advance_question(question, now).items():
                summary[key] += n
    states = Campaign.objects.filter(survey_question__survey=survey).values_list("state", flat=True)
    if questions and all(state in OVER for state in states):
        Survey.objects.filter(pk=survey.pk, state=Survey.State.RUNNING).update(state=Survey.State.FINISHED)
    return summary


def advance_all(now: dt.datetime | None = None) -> dict[str, int]:
    """The dispatcher tick's pass over every running survey."""
    summary = {"released": 0, "withdrawn": 0}
    for survey in Survey.objects.filter(state=Survey.State.RUNNING):
        for key, n in advance(survey, now).items():
            summary[key] += n
    return summary
