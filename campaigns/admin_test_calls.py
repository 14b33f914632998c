"""Admin for test calls: "Call me" from a menu or a campaign page dials one number the staff
member types, and its page follows the call until its receipt arrives (it reloads itself).

The dialling is `campaigns.dialling.test_calls.place`; this module is the form and the pages.
Placing one needs the permission `place_test_call`; the pages mask the number for users
without `see_full_phone_numbers`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actors import Actor
from campaigns.admin_readonly import ReadOnlyAdmin
from campaigns.contacts.phones import InvalidNumber
from campaigns.dialling import test_calls
from campaigns.models import Campaign, MenuTemplate, TestCall
from campaigns.permissions import may_see_contacts
from campaigns.privacy import shown_phone

PLACE_PERMISSION = "campaigns.place_test_call"


def _id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


class TestCallForm(forms.Form):
    __test__ = False  # not a pytest test class
    phone = forms.CharField(
        label=gettext_lazy("Your phone number"),
        max_length=32,
        help_text=gettext_lazy("Your own number: the menu is played to it once, outside the campaign's counts."),
    )


@admin.register(TestCall)
class TestCallAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "menu", "campaign", "status", "answer_label", "created_by"]
    list_filter = ["status"]
    list_select_related = ["menu", "campaign", "created_by"]
    fields = ["menu", "campaign", "status", "code", "note_text", "status_code", "dtmf", "answer_label", "duration"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("note"))
    def note_text(self, obj: TestCall) -> str:
        return obj.note_text

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("place/", view(self.place_view), name="campaigns_testcall_place"),
            path("<int:pk>/live/", view(self.live_view), name="campaigns_testcall_live"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": TestCall._meta, **extra}

    def place_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(PLACE_PERMISSION):
            raise PermissionDenied
        source = request.GET if request.method == "GET" else request.POST
        campaign_id, menu_id = (_id(source.get(name)) for name in ("campaign", "menu"))
        campaign = get_object_or_404(Campaign, pk=campaign_id) if campaign_id else None
        menu = campaign.menu if campaign is not None else get_object_or_404(MenuTemplate, pk=menu_id or 0)
        form = TestCallForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                test_call = test_calls.place(
                    Actor.of_request(request), request.user, form.cleaned_data["phone"], menu, campaign
                )
            except InvalidNumber as exc:
                form.add_error("phone", str(exc))
            else:
                return redirect("admin:campaigns_testcall_live", test_call.pk)
        contact = test_calls.sample_contact(campaign, menu)
        context = self._context(
            request,
            form=form,
            menu=menu,
            campaign=campaign,
            sample=contact if contact is not None and may_see_contacts(request.user) else None,
            title=_("Test call: %(menu)s") % {"menu": menu},
        )
        return TemplateResponse(request, "admin/campaigns/testcall/place.html", context)

    def live_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        test_call = get_object_or_404(TestCall.objects.select_related("menu", "campaign", "caller_number"), pk=pk)
        if not (request.user.has_perm(PLACE_PERMISSION) or self.has_view_permission(request, test_call)):
            raise PermissionDenied
        context = self._context(
            request,
            test_call=test_call,
            number=shown_phone(request.user, test_call.phone),
            title=_("Test call to %(number)s") % {"number": shown_phone(request.user, test_call.phone)},
        )
        return TemplateResponse(request, "admin/campaigns/testcall/live.html", context)
