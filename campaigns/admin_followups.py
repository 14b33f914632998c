"""Admin for follow-up campaigns: the form reached from the dashboard's segments, and the
changelist filter that lists a segment's calls. The work is in `campaigns.followups`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.actors import Actor
from campaigns import segments
from campaigns.followups import create_followup, may_follow_up
from campaigns.models import CallerNumber, Campaign, FollowupBuild, MenuTemplate


class SegmentFilter(admin.SimpleListFilter):
    """`?segment=answer:LABEL` / `status:NAME`: the latest calls in that result segment."""

    title = gettext_lazy("result segment")
    parameter_name = "segment"

    def lookups(self, request, model_admin):
        return [
            (f"{segments.STATUS}:{name}", segments.Segment(segments.STATUS, name).label())
            for name in segments.SEGMENT_STATUSES
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            segment = segments.Segment.parse(self.value())
        except ValidationError:
            return queryset.none()
        return queryset.filter(segment.q(), is_latest=True)


class FollowupForm(forms.Form):
    segments = forms.MultipleChoiceField(
        label=gettext_lazy("Segments"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Contacts whose latest call is in any of these. Do-not-call numbers are left out."),
    )
    name = forms.CharField(label=gettext_lazy("Campaign name"), max_length=200)
    menu = forms.ModelChoiceField(label=gettext_lazy("Menu"), queryset=MenuTemplate.objects.all())
    list_name = forms.CharField(
        label=gettext_lazy("New contact list"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Blank: named after the follow-up."),
    )
    caller_numbers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Caller numbers"),
        queryset=CallerNumber.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("None ticked: the same as the first campaign."),
    )
    daily_start = forms.TimeField(label=gettext_lazy("Daily start"), required=False)
    daily_end = forms.TimeField(label=gettext_lazy("Daily end"), required=False)
    max_attempts = forms.IntegerField(label=gettext_lazy("Max attempts"), min_value=1, max_value=10, required=False)
    retry_delay_seconds = forms.IntegerField(label=gettext_lazy("Retry delay (s)"), min_value=0, required=False)

    def __init__(self, source: Campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.counts = {row["code"]: row for row in segments.counts(source)}
        self.fields["segments"].choices = [
            (code, f"{row['label']} ({row['count']})") for code, row in self.counts.items() if row["count"]
        ]


def followup_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Campaign, pk=pk)
    if not (model_admin.has_view_permission(request, source) and may_follow_up(request.user)):
        raise PermissionDenied
    initial = {
        "segments": request.GET.getlist("segment"),
        "name": _("%(name)s – follow-up") % {"name": source.name},
        "menu": source.menu_id,
        "caller_numbers": list(source.caller_numbers.values_list("pk", flat=True)),
        "daily_start": source.daily_start,
        "daily_end": source.daily_end,
        "max_attempts": source.max_attempts,
        "retry_delay_seconds": source.retry_delay_seconds,
    }
    form = FollowupForm(source, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            followup = create_followup(
                source,
                data["name"],
                segments.parse_all(data["segments"]),
                menu=data["menu"],
                list_name=data["list_name"],
                caller_numbers=list(data["caller_numbers"]) or None,
                daily_start=data["daily_start"],
                daily_end=data["daily_end"],
                max_attempts=data["max_attempts"],
                retry_delay_seconds=data["retry_delay_seconds"],
                actor=Actor.of_request(request),
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            build = followup.followup_build
            if build.status == FollowupBuild.Status.DONE:
                text = ngettext(
                    "Follow-up “%(name)s” created as a draft with %(count)d contact.",
                    "Follow-up “%(name)s” created as a draft with %(count)d contacts.",
                    build.copied,
                ) % {"name": followup.name, "count": build.copied}
                if build.left_out:
                    text += " " + ngettext(
                        "%(count)d do-not-call number was left out.",
                        "%(count)d do-not-call numbers were left out.",
                        build.left_out,
                    ) % {"count": build.left_out}
            else:
                text = ngettext(
                    "Follow-up “%(name)s” created; its %(count)d contact is being copied in the background.",
                    "Follow-up “%(name)s” created; its %(count)d contacts are being copied in the background.",
                    build.total,
                ) % {"name": followup.name, "count": build.total}
            model_admin.message_user(request, text, messages.SUCCESS)
            return redirect("admin:campaigns_campaign_change", followup.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Campaign._meta,
        "campaign": source,
        "form": form,
        "title": _("Follow-up of “%(name)s”") % {"name": source.name},
    }
    return TemplateResponse(request, "admin/campaigns/campaign/followup_form.html", context)


def change_context(campaign: Campaign) -> dict:
    """What the campaign's page shows about its place in a chain."""
    build = FollowupBuild.objects.filter(campaign=campaign).first()
    return {
        "followup_of": campaign.followup_of,
        "followup_origin": segments.describe([segments.Segment.parse(c) for c in campaign.followup_segments])
        if campaign.followup_segments
        else "",
        "followups": list(campaign.followups.order_by("created_at", "pk")),
        "followup_build": build if build and build.status != FollowupBuild.Status.DONE else None,
    }
