from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey, SurveyQuestion


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    fk_name = "survey"
    extra = 0
    fields = ["code", "menu", "parent", "parent_answer", "delay_seconds", "max_attempts", "campaign"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Surveys are loaded from a file (`survey load`) and started from the command line; here
    staff read them and open their tree."""

    list_display = ["name", "state", "created_at", "tree_link"]
    readonly_fields = ["name", "state", "contact_lists", "caller_numbers", "definition", "created_at", "started_at"]
    fields = readonly_fields
    inlines = [SurveyQuestionInline]

    @admin.display(description=_("tree"))
    def tree_link(self, survey: Survey) -> str:
        return format_html('<a href="{}">{}</a>', reverse("surveys:tree", args=[survey.pk]), _("Open the tree"))

    def has_add_permission(self, request) -> bool:
        return False
