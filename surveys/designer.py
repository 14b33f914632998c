"""The survey designer's forms: one screen that writes a survey file (`surveys.definition`).

The forms only read the operator's input; what makes a survey right (known menus, lists and
caller numbers, branches to questions that exist, no loop) is checked by `definition.parse`,
the file loader's one validator, whose first problem `place_error` shows beside the field or
question it names. Branches are drawn per answer of the question's menu: a row per distinct
label (its keys shown), plus "any answer", each with the next question (or the end) and the
delay; "no answer" retries the question itself, as the file's `no_answer` says.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.models import CallerNumber, ContactList, MenuTemplate
from campaigns.models.base import MENU_KEYS
from surveys.models import SurveyQuestion

ANY = "any"
SLOTS = [{"*": "star", "#": "hash"}.get(key, key) for key in MENU_KEYS] + [ANY]
SURVEY_FIELDS = {"name", "lists", "callers", "timezone", "window"}
QUESTION_FIELDS = {
    "menu": "menu",
    "id": "code",
    "max_attempts": "max_attempts",
    "retry_after_hours": "retry_after_hours",
}


class Names(forms.MultipleChoiceField):
    """Names picked from a list; whether they exist is `definition.parse`'s to say."""

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


def _number(value: float | None) -> float | int | None:
    return int(value) if value is not None and value == int(value) else value


class SurveyForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=150)
    lists = Names(label=_("contact lists"), widget=forms.SelectMultiple(attrs={"size": 5}))
    callers = Names(label=_("caller numbers"), widget=forms.SelectMultiple(attrs={"size": 3}))
    timezone = forms.CharField(label=_("time zone"), initial="Asia/Shanghai", max_length=60)
    window = forms.CharField(
        label=_("daily calling hours"), initial="09:00-20:00", max_length=20, help_text=_("HH:MM-HH:MM")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lists"].choices = [(n, n) for n in ContactList.objects.values_list("name", flat=True)]
        self.fields["callers"].choices = [
            (n, f"{n} {label}".strip()) for n, label in CallerNumber.objects.values_list("number", "label")
        ]


class QuestionForm(forms.Form):
    code = forms.CharField(label=_("question id"), max_length=40, help_text=_("E.g. Q1, Q2a."))
    menu = forms.CharField(label=_("menu"), max_length=200, widget=forms.Select)
    retry_after_hours = forms.FloatField(label=_("retry after (hours)"), initial=24)
    max_attempts = forms.IntegerField(label=_("max attempts"), initial=3)

    def __init__(self, *args, menus: dict[str, list[dict]], codes: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.menus = menus
        self.fields["menu"].widget.choices = [("", "---------"), *((name, name) for name in menus)]
        ends = [("", _("end")), *((code, code) for code in codes)]
        for slot in SLOTS:
            self.fields[f"next_{slot}"] = forms.CharField(required=False, widget=forms.Select(choices=ends))
            self.fields[f"delay_{slot}"] = forms.FloatField(required=False, min_value=0)

    def slot_rows(self) -> list[dict]:
        """Every branch slot, those of the chosen menu shown with their keys and label."""
        menu = self.data.get(self.add_prefix("menu")) if self.is_bound else self.initial.get("menu")
        shown = {row["slot"]: row for row in self.menus.get(menu or "", [])}
        rows = []
        for slot in SLOTS:
            row = shown.get(slot, {})
            label = _("any answer") if slot == ANY else row.get("answer", "")
            rows.append(
                {
                    "slot": slot,
                    "keys": row.get("keys", ""),
                    "label": label,
                    "next": self[f"next_{slot}"],
                    "delay": self[f"delay_{slot}"],
                    "hidden": slot not in shown,
                }
            )
        return rows

    def branches(self, rows: list[dict]) -> list[dict]:
        """The file's branches of this question, from the rows its menu shows."""
        made = []
        for row in rows:
            ask = self.cleaned_data.get(f"next_{row['slot']}")
            if ask:
                delay = _number(self.cleaned_data.get(f"delay_{row['slot']}")) or 0
                made.append({"answer": row["answer"], "ask": ask, "delay_minutes": delay})
        return made


class BaseQuestionFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs) -> None:
        self.menus = menu_rows()
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.codes = [
                v for k, v in self.data.items() if k.startswith(f"{self.prefix}-") and k.endswith("-code") and v
            ]
        else:
            self.codes = [q["code"] for q in self.initial or [] if q.get("code")]

    def get_form_kwargs(self, index: int | None) -> dict:
        return {"menus": self.menus, "codes": self.codes}

    def kept(self) -> list[QuestionForm]:
        """The questions in order: filled in (or opened from the draft) and not marked for deletion."""
        return [
            form
            for n, form in enumerate(self.forms)
            if (n < self.initial_form_count() or form.has_changed()) and not self._should_delete_form(form)
        ]


QuestionFormSet = forms.formset_factory(QuestionForm, formset=BaseQuestionFormSet, extra=1, can_delete=True)


def menu_rows() -> dict[str, list[dict]]:
    """Per menu: a branch row per distinct answer label (keyed by its first key), then "any answer"."""
    menus: dict[str, list[dict]] = {}
    for menu in MenuTemplate.objects.prefetch_related("options").order_by("name"):
        rows: dict[str, dict] = {}
        for option in menu.options.all():
            if option.label in rows:
                rows[option.label]["keys"] += f" · {option.key}"
            else:
                slot = SLOTS[MENU_KEYS.index(option.key)]
                rows[option.label] = {"slot": slot, "keys": option.key, "answer": option.label}
        any_row = {"slot": ANY, "keys": "", "answer": SurveyQuestion.ANY_ANSWER}
        menus[menu.name] = [*rows.values(), any_row]
    return menus


def to_file(survey_form: SurveyForm, questions: BaseQuestionFormSet) -> dict:
    """The survey file the valid forms describe (the same JSON `survey load` reads)."""
    data = dict(survey_form.cleaned_data)
    data["questions"] = []
    for form in questions.kept():
        cleaned = form.cleaned_data
        question: dict = {
            "id": cleaned["code"],
            "menu": cleaned["menu"],
            "no_answer": {
                "retry_after_hours": _number(cleaned["retry_after_hours"]),
                "max_attempts": cleaned["max_attempts"],
            },
        }
        branches = form.branches(questions.menus.get(cleaned["menu"], []))
        if branches:
            question["branches"] = branches
        data["questions"].append(question)
    return data


def from_file(data: dict) -> tuple[dict, list[dict]]:
    """A survey file as the forms' initial data (for a draft opened in the designer)."""
    menus = menu_rows()
    survey = {key: data.get(key) for key in SURVEY_FIELDS if data.get(key) is not None}
    questions = []
    for question in data.get("questions") or []:
        no_answer = question.get("no_answer") or {}
        initial = {
            "code": question.get("id"),
            "menu": question.get("menu"),
            "retry_after_hours": no_answer.get("retry_after_hours", 24),
            "max_attempts": no_answer.get("max_attempts", 3),
        }
        slots = {row["answer"]: row["slot"] for row in menus.get(question.get("menu"), [])}
        for branch in question.get("branches") or []:
            slot = slots.get(branch.get("answer"))
            if slot:
                initial[f"next_{slot}"] = branch.get("ask")
                initial[f"delay_{slot}"] = branch.get("delay_minutes", 0)
        questions.append(initial)
    return survey, questions


def place_error(exc: ValidationError, survey_form: SurveyForm, questions: BaseQuestionFormSet) -> None:
    """Show the file loader's first problem beside what it is about."""
    params = getattr(exc, "params", None) or {}
    field = getattr(exc, "code", None)
    kept = questions.kept()
    form = next((f for f in kept if f.cleaned_data.get("code") == params.get("question")), None)
    if form is None and isinstance(params.get("position"), int) and params["position"] < len(kept):
        form = kept[params["position"]]
    for message in exc.messages:
        if form is not None:
            form.add_error(QUESTION_FIELDS.get(field or ""), message)
        elif field in SURVEY_FIELDS:
            survey_form.add_error(field, message)
        else:
            survey_form.add_error(None, message)
