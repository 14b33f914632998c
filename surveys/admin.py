import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actors import Actor
from surveys import definition, designer, scheduling
from surveys.models import Survey, SurveyQuestion


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    fk_name = "survey"
    extra = 0
    fields = ["code", "menu", "parent", "parent_answer", "delay_seconds", "max_attempts", "campaign_link"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=gettext_lazy("campaign"))
    def campaign_link(self, question: SurveyQuestion) -> str:
        if question.campaign_id is None:
            return "—"
        url = reverse("admin:campaigns_campaign_change", args=[question.campaign_id])
        return format_html('<a href="{}">{}</a>', url, question.campaign)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """A survey is made in the designer (or loaded from a file: `survey load`), read here, exported
    as its file and started; the designer changes a draft."""

    list_display = ["name", "state", "created_at", "tree_link"]
    readonly_fields = ["name", "state", "contact_lists", "caller_numbers", "definition", "created_at", "started_at"]
    fields = readonly_fields
    inlines = [SurveyQuestionInline]
    change_form_template = "admin/surveys/survey/change_form.html"

    @admin.display(description=gettext_lazy("tree"))
    def tree_link(self, survey: Survey) -> str:
        return format_html('<a href="{}">{}</a>', reverse("surveys:tree", args=[survey.pk]), _("Open the tree"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/designer/", view(self.designer_view), name="surveys_survey_designer"),
            path("<int:pk>/export/", view(self.export_view), name="surveys_survey_export"),
            path("<int:pk>/start/", view(self.start_view), name="surveys_survey_start"),
            *super().get_urls(),
        ]

    def may_start(self, request: HttpRequest, survey: Survey) -> bool:
        """Starting creates and starts a campaign per question."""
        user = request.user
        return self.has_change_permission(request, survey) and user.has_perms(
            ["campaigns.add_campaign", "campaigns.change_campaign"]
        )

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        survey = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if survey is not None:
            draft = survey.state == Survey.State.DRAFT
            extra_context["designer_url"] = (
                reverse("admin:surveys_survey_designer", args=[survey.pk])
                if draft and self.has_change_permission(request, survey)
                else None
            )
            extra_context["export_url"] = reverse("admin:surveys_survey_export", args=[survey.pk])
            extra_context["start_url"] = (
                reverse("admin:surveys_survey_start", args=[survey.pk])
                if draft and self.may_start(request, survey)
                else None
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._design(request, None)

    def designer_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        survey = get_object_or_404(Survey, pk=pk)
        if not self.has_change_permission(request, survey):
            raise PermissionDenied
        if survey.state != Survey.State.DRAFT:
            self.message_user(request, _("Only a draft survey can be changed."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:surveys_survey_change", args=[pk]))
        return self._design(request, survey)

    def _design(self, request: HttpRequest, survey: Survey | None) -> HttpResponse:
        """The designer: the forms read the input, `definition.load` checks and saves it."""
        survey_initial, question_initial = designer.from_file(survey.definition) if survey else ({}, [])
        data = request.POST if request.method == "POST" else None
        survey_form = designer.SurveyForm(data, initial=survey_initial)
        questions = designer.QuestionFormSet(data, initial=question_initial, prefix="questions")
        if data is not None and survey_form.is_valid() and questions.is_valid():
            file = designer.to_file(survey_form, questions)
            try:
                saved = definition.load(file, Actor.of_request(request), replacing=survey, event="survey.designed")
            except ValidationError as exc:
                designer.place_error(exc, survey_form, questions)
            else:
                self.message_user(request, _("Survey “%(name)s” saved as a draft.") % {"name": saved.name})
                return HttpResponseRedirect(reverse("admin:surveys_survey_change", args=[saved.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Survey designer"),
            "survey": survey,
            "survey_form": survey_form,
            "questions": questions,
            "menus": questions.menus,
            "errors": data is not None
            and bool(survey_form.errors or any(f.errors for f in questions) or questions.non_form_errors()),
        }
        return render(request, "admin/surveys/survey/designer.html", context)

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        survey = get_object_or_404(Survey, pk=pk)
        if not self.has_view_permission(request, survey):
            raise PermissionDenied
        body = json.dumps(definition.export(survey), ensure_ascii=False, indent=2) + "\n"
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{survey.name}.json")
        return response

    def start_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        survey = get_object_or_404(Survey, pk=pk)
        if not self.may_start(request, survey):
            raise PermissionDenied
        change_url = reverse("admin:surveys_survey_change", args=[pk])
        if survey.state != Survey.State.DRAFT:
            self.message_user(request, _("Only a draft survey can be started."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            try:
                scheduling.start_survey(survey, Actor.of_request(request))
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request, _("Survey “%(name)s” started: one campaign per question.") % {"name": survey.name}
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Start survey “%(name)s”?") % {"name": survey.name},
            "survey": survey,
            "questions": survey.questions.select_related("menu", "parent"),
            "change_url": change_url,
        }
        return render(request, "admin/surveys/survey/start.html", context)
