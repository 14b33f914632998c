"""Surveys that run themselves: questions (each a menu, asked by its own campaign) and the
branches between them. The rules are in `surveys.definition` (loading) and
`surveys.scheduling` (starting, and asking each contact's next question)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import CallerNumber, Campaign, ContactList, MenuTemplate


class Survey(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")

    name = models.CharField(_("name"), max_length=150, unique=True)
    definition = models.JSONField(_("definition"), default=dict, help_text=_("The survey file as loaded."))
    contact_lists = models.ManyToManyField(ContactList, related_name="+", verbose_name=_("contact lists"))
    caller_numbers = models.ManyToManyField(CallerNumber, related_name="+", verbose_name=_("caller numbers"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def root(self) -> SurveyQuestion:
        return self.questions.get(parent__isnull=True)


class SurveyQuestion(models.Model):
    """One question: a menu, asked by its own campaign; every question but the first is asked
    of the contacts whose answer to its parent was `parent_answer` ("*": any answer), `delay`
    after that answer arrived."""

    ANY_ANSWER = "*"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey"))
    code = models.CharField(_("code"), max_length=40, help_text=_("E.g. Q1, Q2a."))
    menu = models.ForeignKey(MenuTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("menu"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("asked after")
    )
    parent_answer = models.CharField(_("after the answer"), max_length=200, blank=True)
    delay_seconds = models.PositiveIntegerField(_("delay (s)"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    retry_delay_seconds = models.PositiveIntegerField(_("retry delay (s)"), default=86400)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    campaign = models.OneToOneField(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_question"
    )

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique_per_survey")]

    def __str__(self) -> str:
        return f"{self.survey} · {self.code}"
