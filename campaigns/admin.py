from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.actors import Actor
from audit.admin_base import AuditedAdmin
from audit.models import AuditEvent
from campaigns import (
    admin_accounts,  # noqa: F401  (Aliyun accounts)
    admin_contacts,  # noqa: F401  (contact lists, contacts, imports)
    admin_design,  # noqa: F401  (quotas, sample release, script variants)
    admin_followups,
    admin_menus,
    admin_reference,  # noqa: F401  (caller numbers, no-call days, do-not-call list)
    admin_test_calls,  # noqa: F401  (test calls: "Call me")
    consent,
    costs,
    menu_variables,
    retention,
    times,
)
from campaigns.actions import calls as call_actions
from campaigns.actions import campaigns as campaign_actions
from campaigns.admin_readonly import ReadOnlyAdmin
from campaigns.forecast import campaign_forecast, live_rate
from campaigns.forecast import summary as forecast_summary
from campaigns.models import (
    Call,
    Campaign,
    NoCallDay,
    default_retry_outcomes,
    default_weekdays,
)
from campaigns.permissions import may_export_results, may_see_contacts
from campaigns.privacy_admin import MaskedNumbersAdmin
from results.aggregates import progress

State = Campaign.State

# action name → (action, button label, confirmation question); the states each accepts are
# the transition table's (`campaign_actions.allowed`).
TRANSITIONS = {
    "start": (
        partial(campaign_actions.do_start_campaign, enrol_in_background=True),
        gettext_lazy("Start"),
        gettext_lazy(
            "Start calling? The menu is frozen and every contact of the lists is enrolled in the "
            "background; dialling begins once they are."
        ),
    ),
    "pause": (
        campaign_actions.do_pause_campaign,
        gettext_lazy("Pause"),
        gettext_lazy("Pause? No new calls are made until you resume; calls in progress finish."),
    ),
    "resume": (campaign_actions.do_resume_campaign, gettext_lazy("Resume"), gettext_lazy("Resume calling?")),
    "cancel": (
        campaign_actions.do_cancel_campaign,
        gettext_lazy("Cancel"),
        gettext_lazy("Cancel for good? Contacts not yet called will never be called by this campaign."),
    ),
}


# What the page says once it is done.
DONE = {
    "start": gettext_lazy("Campaign “%(name)s” started."),
    "pause": gettext_lazy("Campaign “%(name)s” paused: no new calls until you resume it."),
    "resume": gettext_lazy("Campaign “%(name)s” resumed."),
    "cancel": gettext_lazy("Campaign “%(name)s” cancelled."),
}


class CampaignForm(forms.ModelForm):
    """Weekdays and retried outcomes as checkboxes rather than raw JSON."""

    weekdays = forms.TypedMultipleChoiceField(
        label=capfirst(Campaign._meta.get_field("weekdays").verbose_name),
        help_text=gettext_lazy("Days on which calls may start, in the campaign's time zone."),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        initial=default_weekdays,
        widget=forms.CheckboxSelectMultiple,
    )
    retry_outcomes = forms.MultipleChoiceField(
        label=capfirst(Campaign._meta.get_field("retry_outcomes").verbose_name),
        choices=[(value, Call.Status(value).label) for value in Call.RETRYABLE_CHOICES],
        initial=default_retry_outcomes,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Campaign
        fields = [
            "name", "purpose", "contact_lists", "caller_numbers", "menu", "timezone", "starts_at", "ends_at",
            "daily_start", "daily_end", "weekdays", "dial_on_no_call_days", "max_qps", "max_attempts",
            "retry_delay_seconds", "retry_outcomes", "expected_call_seconds", "local_presence",
            "rest_unhealthy_numbers", "retention_days", "keep_personal_data", "keep_reason",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for optional in ("expected_call_seconds", "local_presence"):
            if optional in self.fields:
                self.fields[optional].required = False

    def clean_local_presence(self):
        return self.cleaned_data.get("local_presence") or Campaign.LocalPresence.OFF

    def clean_expected_call_seconds(self):
        value = self.cleaned_data.get("expected_call_seconds")
        return value or Campaign._meta.get_field("expected_call_seconds").default


def progress_cell(campaign_id: int, key: str, value) -> str:
    return format_html('<span data-campaign="{}" data-figure="{}">{}</span>', campaign_id, key, value)


WINDOW_FIELDS = [
    "timezone", "starts_at", "ends_at", "daily_start", "daily_end", "weekdays", "dial_on_no_call_days",
    "next_calling_day",
]  # fmt: skip


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    form = CampaignForm
    list_display = ["name", "state_badge", "dialled_of_total", "answered", "pending", "unknown", "created_at"]
    list_filter = ["state"]
    search_fields = ["name"]
    filter_horizontal = ["contact_lists", "caller_numbers"]
    readonly_fields = [
        "state", "reason", "next_calling_day", "started_at", "finished_at", "created_at", "personal_data",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "purpose", "contact_lists", "caller_numbers", "menu", "state", "reason"]}),
        (
            gettext_lazy("Calling window"),
            {"fields": WINDOW_FIELDS},
        ),
        (
            gettext_lazy("Pacing and retries"),
            {
                "fields": [
                    "max_qps",
                    "max_attempts",
                    "retry_delay_seconds",
                    "retry_outcomes",
                    "expected_call_seconds",
                ]
            },
        ),
        (gettext_lazy("Caller numbers"), {"fields": ["local_presence", "rest_unhealthy_numbers"]}),
        (
            gettext_lazy("Personal data"),
            {"fields": ["personal_data", "retention_days", "keep_personal_data", "keep_reason"]},
        ),
        (gettext_lazy("History"), {"fields": ["created_at", "started_at", "finished_at"]}),
    ]
    actions = ["pause_selected", "resume_selected"]

    class Media:
        js = ["campaigns/progress.js"]
        css = {"all": ["campaigns/campaigns.css"]}

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        # One that began calling is the record of who was called: staff cancel it instead.
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.has_dialled)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        admin_menus.warn_campaign_gaps(request, form.instance)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj and obj.state != State.DRAFT:
            # Once started, what was frozen stays frozen.
            fields += ["contact_lists", "menu"]
        return fields

    def figures(self, obj: Campaign) -> dict:
        # Kept on the row's own instance: the admin class is shared by every request and thread.
        if not hasattr(obj, "_figures"):
            obj._figures = progress(obj)
        return obj._figures

    @admin.display(description=gettext_lazy("next calling day"))
    def next_calling_day(self, obj: Campaign) -> str:
        if obj.pk is None or obj.state in (State.COMPLETED, State.CANCELLED):
            return "—"
        now = timezone.now()
        day = obj.next_calling_day(now)
        if day is None:
            return _("None: the calling window has ended.")
        text = formats.date_format(day, "DATE_FORMAT")
        if day == now.astimezone(obj.zone).date():
            text = _("%(date)s (today)") % {"date": text}
        skipped = (
            []
            if obj.dial_on_no_call_days
            else list(NoCallDay.objects.filter(date__gte=now.astimezone(obj.zone).date(), date__lt=day))
        )
        if skipped:
            labels = ", ".join(dict.fromkeys(d.label for d in skipped))
            text = _("%(date)s, after the no-call days (%(labels)s)") % {"date": text, "labels": labels}
        return text

    @admin.display(description=gettext_lazy("personal data"))
    def personal_data(self, obj: Campaign) -> str:
        return retention.status_text(obj)

    @admin.display(description=gettext_lazy("reason"))
    def reason(self, obj: Campaign) -> str:
        return obj.state_reason_text

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_badge(self, obj: Campaign) -> str:
        return format_html(
            '<span class="state state-{}" data-campaign="{}" data-figure="state_display">{}</span>',
            obj.state,
            obj.pk,
            obj.get_state_display(),
        )

    @admin.display(description=gettext_lazy("dialled / contacts"))
    def dialled_of_total(self, obj: Campaign) -> str:
        f = self.figures(obj)
        return format_html(
            "{} / {}", progress_cell(obj.pk, "dialled", f["dialled"]), progress_cell(obj.pk, "contacts", f["contacts"])
        )

    @admin.display(description=gettext_lazy("answered"))
    def answered(self, obj: Campaign) -> str:
        return progress_cell(obj.pk, "answered", self.figures(obj)["answered"])

    @admin.display(description=gettext_lazy("pending"))
    def pending(self, obj: Campaign) -> str:
        return progress_cell(obj.pk, "pending", self.figures(obj)["pending"])

    @admin.display(description=gettext_lazy("outcome unknown"))
    def unknown(self, obj: Campaign) -> str:
        return progress_cell(obj.pk, "unknown", self.figures(obj)["unknown"])

    def get_urls(self):
        return [
            path("progress/", self.admin_site.admin_view(self.progress_view), name="campaigns_campaign_progress"),
            path(
                "<int:pk>/followup/",
                self.admin_site.admin_view(lambda request, pk: admin_followups.followup_view(self, request, pk)),
                name="campaigns_campaign_followup",
            ),
            path(
                "<int:pk>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="campaigns_campaign_transition",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        if not self.has_view_permission(request):
            return JsonResponse({}, status=403)
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isascii() and i.isdigit()][:200]
        data = {}
        for campaign in Campaign.objects.filter(pk__in=ids):
            figures = progress(campaign)
            figures["state_display"] = campaign.get_state_display()
            figures["reason"] = campaign.state_reason_text
            figures.pop("by_status")
            figures["rate"] = live_rate(campaign)
            figures.pop("as_of")
            figures.pop("own_hours")
            data[campaign.pk] = figures
        return JsonResponse(data)

    def transition_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        if action not in TRANSITIONS or not self.has_change_permission(request, campaign):
            return HttpResponse(status=403)
        function, label, question = TRANSITIONS[action]
        change_url = reverse("admin:campaigns_campaign_change", args=[pk])
        if request.method == "POST":
            try:
                function(campaign, actor=Actor.of_request(request))
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    DONE[action] % {"name": campaign.name},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        problems = campaign_actions.check_ready(campaign) if action == "start" else []
        variable_gaps = menu_variables.campaign_gaps(campaign) if problems else []
        consent_counts = consent.counts(campaign) if action == "start" else None
        forecast = campaign_forecast(campaign) if action == "start" else None
        forecast_text = forecast_summary(forecast, campaign.window) if forecast else {}
        context = {
            "forecast_text": forecast_text,
            "cost": costs.forecast_estimate(campaign, forecast) if forecast else None,
            "consent": consent_counts,
            "consent_warnings": consent.warnings(campaign) if action == "start" and not problems else [],
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "campaign": campaign,
            "action": action,
            "label": label,
            "question": question,
            "problems": problems,
            "variable_gaps": variable_gaps,
            "allowed": campaign.state in campaign_actions.allowed(action),
            "figures": progress(campaign),
            "title": _("%(action)s campaign") % {"action": label},
        }
        return TemplateResponse(request, "admin/campaigns/campaign/confirm_transition.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        campaign = self.get_object(request, object_id)  # None for "abc": the admin then says so
        if campaign:
            extra_context["transitions"] = [
                (name, label, reverse("admin:campaigns_campaign_transition", args=[campaign.pk, name]))
                for name, (_f, label, _q) in TRANSITIONS.items()
                if campaign.state in campaign_actions.allowed(name)
            ]
            extra_context["figures"] = figures = progress(campaign)
            forecast = campaign_forecast(campaign)
            extra_context["forecast"] = forecast
            extra_context["cost"] = costs.forecast_estimate(campaign, forecast) if forecast.calls_left else None
            extra_context["spend"] = costs.spend(figures["billed_minutes"]) if campaign.state != State.DRAFT else None
            extra_context["forecast_text"] = forecast_summary(forecast, campaign.window)
            extra_context["live_rate"] = live_rate(campaign)
            extra_context["opt_outs"] = campaign.opt_outs.count()
            extra_context["inactive_numbers"] = list(campaign.caller_numbers.filter(active=False))
            extra_context["history"] = list(AuditEvent.objects.filter(campaign_id=campaign.pk)[:12])
            extra_context["may_view_audit"] = request.user.has_perm("audit.view_auditevent")
            extra_context["dashboard_url"] = self.dashboard_url(campaign)
            exportable = campaign.state != State.DRAFT and may_export_results(request.user)
            extra_context["export_urls"] = self.export_urls(campaign) if exportable else []
            extra_context.update(admin_followups.change_context(campaign))
            # Its times are shown, and its date fields read, in the campaign's own time zone.
            extra_context["campaign_zone_note"] = times.zone_note(campaign.timezone)
            with timezone.override(campaign.zone):
                response = super().change_view(request, object_id, form_url, extra_context)
                if hasattr(response, "render"):
                    response.render()  # a TemplateResponse renders late: do it inside the zone
                return response
        return super().change_view(request, object_id, form_url, extra_context)

    def dashboard_url(self, campaign: Campaign) -> str:
        try:
            return reverse("results:dashboard", args=[campaign.pk])
        except NoReverseMatch:
            return ""

    def export_urls(self, campaign: Campaign) -> list[tuple[str, str]]:
        return [(fmt.upper(), reverse("results:export", args=[campaign.pk, fmt])) for fmt in ("csv", "xlsx")]

    @admin.action(description=gettext_lazy("Pause selected running campaigns"), permissions=["change"])
    def pause_selected(self, request, queryset):
        actor = Actor.of_request(request)
        running = queryset.filter(state__in=campaign_actions.allowed("pause"))
        done = [c for c in running if campaign_actions.do_pause_campaign(c, actor=actor)]
        n = len(done)
        said = ngettext("%(count)d campaign paused.", "%(count)d campaigns paused.", n) % {"count": n}
        self.message_user(request, said)

    @admin.action(description=gettext_lazy("Resume selected paused campaigns"), permissions=["change"])
    def resume_selected(self, request, queryset):
        actor = Actor.of_request(request)
        paused = queryset.filter(state__in=campaign_actions.allowed("resume"))
        done = [c for c in paused if campaign_actions.do_resume_campaign(c, actor=actor)]
        n = len(done)
        said = ngettext("%(count)d campaign resumed.", "%(count)d campaigns resumed.", n) % {"count": n}
        self.message_user(request, said)


@admin.register(Call)
class CallAdmin(MaskedNumbersAdmin, ReadOnlyAdmin):
    """A call's fields are written by `campaigns.transitions` only (setting a settled call back
    to queued would dial that person again): the page is read-only, and what staff may decide
    about a call is an operator action below."""

    list_display = ["phone", "campaign", "attempt", "status", "answer_label", "duration", "out_id", "sent_at"]
    list_filter = [admin_followups.SegmentFilter, "status", "is_latest", "local", "campaign"]
    search_fields = ["phone", "out_id", "call_id"]
    list_select_related = ["campaign"]
    raw_id_fields = ["contact", "campaign", "caller_number"]
    readonly_fields = ["what_happened"]
    show_full_result_count = False
    actions = ["redial_unknown", "fail_unknown"]

    @admin.display(description=gettext_lazy("what happened"))
    def what_happened(self, obj: Call) -> str:
        return obj.note_text

    # Without *view contact*: no phone, name or answer (SECURITY.md, "What each role can see").
    CONTACT_FIELDS = ("phone", "contact", "answer_label", "answer_key", "dtmf")

    def get_list_display(self, request):
        names = super().get_list_display(request)
        return names if may_see_contacts(request.user) else [n for n in names if n not in self.CONTACT_FIELDS]

    def get_search_fields(self, request):
        names = super().get_search_fields(request)
        return names if may_see_contacts(request.user) else [n for n in names if n not in self.CONTACT_FIELDS]

    def get_exclude(self, request, obj=None):
        if may_see_contacts(request.user):
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or ()), *self.CONTACT_FIELDS]

    def has_settle_permission(self, request: HttpRequest) -> bool:
        """Settling unknown calls is what *change call* allows now that no field is editable."""
        return request.user.has_perm("campaigns.change_call")

    @admin.action(description=gettext_lazy("Outcome unknown → not placed: dial again"), permissions=["settle"])
    def redial_unknown(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count = call_actions.do_settle_unknown_calls(ids, placed=False, actor=Actor.of_request(request))
        said = ngettext("%(count)d call will be dialled again.", "%(count)d calls will be dialled again.", count)
        self.message_user(request, said % {"count": count})

    @admin.action(description=gettext_lazy("Outcome unknown → placed, not answered"), permissions=["settle"])
    def fail_unknown(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count = call_actions.do_settle_unknown_calls(ids, placed=True, actor=Actor.of_request(request))
        said = ngettext("%(count)d call marked as failed.", "%(count)d calls marked as failed.", count)
        self.message_user(request, said % {"count": count})
