"""The survey's page: its tree with counts per question. Thin: the counts are `surveys.tree`."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaigns.permissions import may_export_results
from surveys import tree
from surveys.models import Survey


@staff_member_required
@permission_required("campaigns.view_campaign", raise_exception=True)
@require_GET
def survey_tree(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    root = survey.questions.filter(parent__isnull=True).select_related("campaign").first()
    nodes, survey_rates = tree.tree(survey)
    context = {
        "survey": survey,
        "nodes": nodes,
        "rates": survey_rates,
        "root_campaign": root.campaign if root else None,
        "may_export": may_export_results(request.user),
        "title": _("Survey: %(name)s") % {"name": survey.name},
    }
    return render(request, "surveys/tree.html", context)
