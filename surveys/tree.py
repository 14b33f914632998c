"""The survey's tree with counts per question, for its page: one GROUP BY per question."""

from __future__ import annotations

from collections import Counter

from django.db.models import Case, Count, Q, Value, When
from django.db.models import CharField as CharFieldType

from campaigns.models import Call
from campaigns.opt_out import every_opt_out_key
from campaigns.quotas import HELD
from results.dispositions import COMPLETE, DISPOSITIONS, PARTIAL, outcome_of
from results.rates import rates
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
    """Contacts per stage, answers per label, AAPOR groups and completes per label of one question."""
    stages: Counter = Counter()
    answers: Counter = Counter()
    groups: Counter = Counter()
    completes: Counter = Counter()
    if question.campaign_id:
        opt_outs = every_opt_out_key(question.campaign.menu_snapshot)
        rows = (
            Call.objects.filter(campaign_id=question.campaign_id, is_latest=True)
            .annotate(stage=_stage())
            .values_list("stage", "status", "answer_key", "answer_label")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for stage, status, key, label, n in rows:
            stages[stage] += n
            if stage == "answered":
                answers[label or "—"] += n
            withdrawn = "call.branch_not_taken" if stage == "off_branch" else None
            outcome = outcome_of(status, key, withdrawn, opt_outs)
            groups[DISPOSITIONS[outcome].group] += n
            if outcome == "complete":
                completes[label] += n
    return {
        "stages": dict(stages),
        "answers": sorted(answers.items(), key=lambda item: -item[1]),
        "groups": groups,
        "completes": completes,
    }


def _leads_on(question: SurveyQuestion, label: str, children: list[SurveyQuestion]) -> bool:
    return any(child.parent_answer in (label, SurveyQuestion.ANY_ANSWER) for child in children)


def survey_rates(survey: Survey, nodes: dict[int, dict]) -> dict:
    """The survey's own dispositions, a contact as one case: its first question's, except that a
    complete there is a complete (1.1) only if every question its answers led to was answered,
    else a partial (1.2); and the AAPOR rates of those."""
    questions = [node["question"] for node in nodes.values()]
    children = {q.pk: [c for c in questions if c.parent_id == q.pk] for q in questions}
    whole = sum(
        n
        for node in nodes.values()
        for label, n in node["completes"].items()
        if not _leads_on(node["question"], label, children[node["question"].pk])
    )
    root = next(node for node in nodes.values() if node["question"].parent_id is None)
    groups = Counter(root["groups"])
    groups[PARTIAL] = groups[COMPLETE] - whole
    groups[COMPLETE] = whole
    figures = rates(groups)
    shown = {name: f"{100 * value:.1f}%" if value is not None else "—" for name, value in figures.items()}
    return {"complete": whole, "partial": groups[PARTIAL], "shown": shown}


def tree(survey: Survey) -> tuple[list[dict], dict]:
    """The questions as nested dicts, each with its counts and its children (in file order), and
    the survey's own rates."""
    questions = list(survey.questions.select_related("menu", "campaign").order_by("position"))
    nodes = {q.pk: {"question": q, **node_counts(q), "children": []} for q in questions}
    roots = []
    for q in questions:
        (nodes[q.parent_id]["children"] if q.parent_id else roots).append(nodes[q.pk])
    return roots, survey_rates(survey, nodes)
