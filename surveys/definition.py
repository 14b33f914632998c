"""A survey file: validated in one place, then saved as a draft survey with its questions.

    {"name": "满意度回访",
     "lists": ["客户名单"], "callers": ["057112345678"],
     "timezone": "Asia/Shanghai", "window": "09:00-20:00",
     "questions": [
       {"id": "Q1", "menu": "满意度",
        "no_answer": {"retry_after_hours": 24, "max_attempts": 3},
        "branches": [{"answer": "不满意", "ask": "Q2a", "delay_minutes": 30},
                     {"answer": "满意", "ask": "Q2b", "delay_minutes": 30}]},
       {"id": "Q2a", "menu": "不满意原因"},
       {"id": "Q2b", "menu": "推荐意愿"}]}

The first question is asked of every contact of the lists; every other one of the contacts
whose answer to the question that branches to it was `answer` (`"*"`: any answer), `delay`
after that answer. No answer (after the question's attempts) ends the survey for the contact.
Menus, lists and caller numbers are named and must exist (`menu load`, `import_contacts`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actors import Actor
from audit.record import record
from campaigns.models import CallerNumber, ContactList, MenuTemplate
from surveys.models import Survey, SurveyQuestion


def _fail(message: str, field: str, /, **params: object) -> None:
    """The first problem, worded in the reader's language; `field` names what it is about
    (name, lists, callers, timezone, window, questions) and `params["question"]` the question, so
    the designer shows it in place (the error's code is the field)."""
    raise ValidationError(message, code=field, params=params)


def window(text: str) -> tuple[dt.time, dt.time]:
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        _fail(_("The window must read HH:MM-HH:MM, not “%(text)s”."), "window", text=text)
    return start, end


def _number(value: object, field: str, default: float, question: str) -> float:
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        _fail(_("“%(field)s” must be a number of zero or more."), field, field=field, question=question)
    return value


def parse(data: object, replacing: Survey | None = None) -> dict:
    """The survey file checked and normalised; raises ValidationError naming the first problem.
    `replacing`: the draft this file is to replace (its own name is not taken)."""
    if not isinstance(data, dict):
        _fail(_("A survey file holds one JSON object."), "file")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        _fail(_("The survey needs a name."), "name")
    if Survey.objects.filter(name=name).exclude(pk=replacing.pk if replacing else None).exists():
        _fail(_("A survey named “%(name)s” exists already."), "name", name=name)
    lists = list(ContactList.objects.filter(name__in=data.get("lists") or []))
    missing = sorted(set(data.get("lists") or []) - {item.name for item in lists})
    if missing or not lists:
        _fail(_("Unknown contact lists: %(names)s"), "lists", names=", ".join(missing) or "—")
    callers = list(CallerNumber.objects.filter(number__in=data.get("callers") or []))
    missing = sorted(set(data.get("callers") or []) - {c.number for c in callers})
    if missing or not callers:
        _fail(_("Unknown caller numbers: %(names)s"), "callers", names=", ".join(missing) or "—")
    timezone = data.get("timezone") or "Asia/Shanghai"
    if timezone not in zoneinfo.available_timezones():
        _fail(_("Unknown time zone: %(zone)s"), "timezone", zone=timezone)
    start, end = window(data.get("window") or "09:00-20:00")

    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        _fail(_("The survey needs at least one question."), "questions")
    by_code: dict[str, dict] = {}
    for position, question in enumerate(questions):
        code = question.get("id") if isinstance(question, dict) else None
        if not isinstance(code, str) or not code or code in by_code:
            _fail(_("Question %(n)d needs an id of its own."), "id", n=position + 1, position=position)
        menu = MenuTemplate.objects.filter(name=question.get("menu")).first()
        if menu is None:
            _fail(
                _("Question %(code)s: unknown menu “%(menu)s”."),
                "menu",
                code=code,
                menu=question.get("menu"),
                question=code,
            )
        no_answer = question.get("no_answer") or {}
        by_code[code] = {
            "code": code,
            "menu": menu,
            "position": position,
            "max_attempts": int(_number(no_answer.get("max_attempts"), "max_attempts", 3, code)) or 1,
            "retry_delay_seconds": int(
                3600 * _number(no_answer.get("retry_after_hours"), "retry_after_hours", 24, code)
            ),
            "parent": None,
            "parent_answer": "",
            "delay_seconds": 0,
            "branches": question.get("branches") or [],
        }
    for code, question in by_code.items():
        labels = {o.label for o in question["menu"].options.all()}
        for branch in question["branches"]:
            target = by_code.get(branch.get("ask")) if isinstance(branch, dict) else None
            if target is None:
                _fail(_("Question %(code)s branches to an unknown question."), "branches", code=code, question=code)
            if target["position"] == 0:
                _fail(
                    _("Question %(code)s branches back to the first question: a survey cannot loop."),
                    "loop",
                    code=code,
                    question=code,
                )
            if target["parent"] is not None:
                _fail(
                    _("Question %(code)s is asked after two answers; give each its own question."),
                    "branches",
                    code=target["code"],
                    question=target["code"],
                )
            answer = branch.get("answer")
            if answer != SurveyQuestion.ANY_ANSWER and answer not in labels:
                _fail(
                    _("Question %(code)s has no answer “%(answer)s”."),
                    "branches",
                    code=code,
                    answer=answer,
                    question=code,
                )
            target["parent"], target["parent_answer"] = code, answer
            target["delay_seconds"] = int(60 * _number(branch.get("delay_minutes"), "delay_minutes", 0, code))
    unreachable = [q["code"] for q in by_code.values() if q["position"] and q["parent"] is None]
    if unreachable:
        _fail(_("No answer leads to: %(codes)s"), "unreachable", codes=", ".join(unreachable), question=unreachable[0])
    reached = _reached_from_first(by_code)
    looping = [code for code in by_code if code not in reached]
    if looping:  # each has a parent, yet the first question never leads to them: a cycle
        _fail(
            _("Questions %(codes)s branch to each other in a loop that the first question never reaches."),
            "loop",
            codes=", ".join(looping),
            question=looping[0],
        )
    return {
        "name": name,
        "lists": lists,
        "callers": callers,
        "timezone": timezone,
        "window": (start, end),
        "questions": by_code,
    }


def _reached_from_first(by_code: dict[str, dict]) -> set[str]:
    first = next(code for code, q in by_code.items() if q["position"] == 0)
    reached, frontier = {first}, [first]
    while frontier:
        frontier = [code for code, q in by_code.items() if q["parent"] in frontier and code not in reached]
        reached.update(frontier)
    return reached


@transaction.atomic
def load(data: dict, actor: Actor, replacing: Survey | None = None, event: str = "survey.loaded") -> Survey:
    """Save a checked survey file as a draft survey (raises ValidationError, saving nothing).
    `replacing`: a draft whose name, lists, callers and questions become the file's (the
    designer's save of a draft it opened); a survey that has started is not changed. `event`:
    the audit event of a new survey (`survey.designed` from the designer)."""
    if replacing is not None:
        replacing = Survey.objects.select_for_update().get(pk=replacing.pk)
        if replacing.state != Survey.State.DRAFT:
            _fail(_("Only a draft survey can be changed."), "file")
    parsed = parse(data, replacing)
    if replacing is None:
        survey = Survey.objects.create(name=parsed["name"], definition=data)
    else:
        survey, before = replacing, replacing.definition
        survey.questions.all().delete()
        survey.name, survey.definition = parsed["name"], data
        survey.save(update_fields=["name", "definition"])
    survey.contact_lists.set(parsed["lists"])
    survey.caller_numbers.set(parsed["callers"])
    saved: dict[str, SurveyQuestion] = {}
    waiting = sorted(parsed["questions"].values(), key=lambda q: q["position"])
    while waiting:  # parents first (every question is reachable from the first, checked above)
        q = next(q for q in waiting if q["parent"] is None or q["parent"] in saved)
        waiting.remove(q)
        code = q["code"]
        saved[code] = SurveyQuestion.objects.create(
            survey=survey,
            code=code,
            menu=q["menu"],
            parent=saved.get(q["parent"]) if q["parent"] else None,
            parent_answer=q["parent_answer"],
            delay_seconds=q["delay_seconds"],
            max_attempts=q["max_attempts"],
            retry_delay_seconds=q["retry_delay_seconds"],
            position=q["position"],
        )
    if replacing is None:
        record(actor, event, survey, rows=len(saved))
    else:
        record(actor, "survey.changed", survey, changes={"definition": [before, data]}, rows=len(saved))
    return survey


def export(survey: Survey) -> dict:
    """The survey's file: what was loaded or designed, so `survey load` reads it back."""
    return survey.definition
