"""The survey's tree with counts per question, for its page: one GROUP BY per question."""

from __future__ import annotations

from collections import Counter

from django.db.models import Case, Count, Q, Value, When
from django.db.models import CharField as CharFieldType

from campaigns.models import Call
from campaigns.quotas import HELD
from surveys.models import Survey, SurveyQuestion

S = Call.Status


def _stage() -> Case:
    """Where a contact stands on one question (its latest call), as one word."""
    return Case(
        When(status=S.QUEUED, due_at=HELD, then=Value("waiting")),
        When(status__in=[*Call.PENDING, S.UNKNOWN], then=Value("asking")),
        When(status=S.ANSWERED, then=Value("answered")),
        When(Q(status=S.CANCELLED, note__code="call.branch_not_taken"), then=Value("off_branch")),
        When(status=S.DNC, then=Value("dnc")),
        default=Value("no_answer"),
        output_field=CharFieldType(),
    )


def node_counts(question: SurveyQuestion) -> dict:
    stages: Counter = Counter()
    answers: Counter = Counter()
    if question.campaign_id:
        rows = (
            Call.objects.filter(campaign_id=question.campaign_id, is_latest=True)
            .annotate(stage=_stage())
            .values_list("stage", "answer_label")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for stage, label, n in rows:
            stages[stage] += n
            if stage == "answered":
                answers[label or "—"] += n
    return {"stages": dict(stages), "answers": sorted(answers.items(), key=lambda item: -item[1])}


def tree(survey: Survey) -> list[dict]:
    """The questions as nested dicts, each with its counts and its children (in file order)."""
    questions = list(survey.questions.select_related("menu", "campaign").order_by("position"))
    nodes = {q.pk: {"question": q, **node_counts(q), "children": []} for q in questions}
    roots = []
    for q in questions:
        (nodes[q.parent_id]["children"] if q.parent_id else roots).append(nodes[q.pk])
    return roots
