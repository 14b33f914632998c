"""Admin for menu templates: the options inline, and on save a warning for every draft campaign
whose lists lack a `${var}` the menu uses (`campaigns.menu_variables`), linking to what to change."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from audit.admin_base import AuditedAdmin
from campaigns import menu_variables, tts
from campaigns.models import Campaign, MenuOption, MenuTemplate, TtsTemplate
from campaigns.privacy import shown_phone, shown_text


class MenuOptionInline(admin.TabularInline):
    model = MenuOption
    extra = 1
    fields = ["position", "key", "label", "code", "tts_params", "opt_out", "score"]


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else _("none")


def _missing(names: list[str]) -> str:
    return ", ".join("${" + name + "}" for name in names)


def warn_menu_gaps(request: HttpRequest, menu: MenuTemplate) -> None:
    """After a menu is saved: one warning per draft campaign list lacking its variables."""
    for campaign, lacking in menu_variables.drafts_using(menu):
        for gap in lacking:
            messages.warning(
                request,
                format_html(
                    _(
                        'Draft campaign <a href="{campaign_url}">{campaign}</a> uses this menu, but its list '
                        '<a href="{list_url}">{list}</a> has no {missing} (its variables: {has}): its contacts '
                        "would hear blanks there. Import those columns into the list, or change this menu."
                    ),
                    campaign_url=reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
                    campaign=campaign.name,
                    list_url=reverse("admin:campaigns_contactlist_change", args=[gap.contact_list.pk]),
                    list=gap.contact_list.name,
                    missing=_missing(gap.missing),
                    has=_names(gap.has),
                ),
            )


def warn_campaign_gaps(request: HttpRequest, campaign: Campaign) -> None:
    """After a campaign is saved: one warning per list lacking a variable its menu uses."""
    if campaign.state != Campaign.State.DRAFT:
        return
    for gap in menu_variables.campaign_gaps(campaign):
        messages.warning(
            request,
            format_html(
                _(
                    'The list <a href="{list_url}">{list}</a> has no {missing}, which the menu '
                    '<a href="{menu_url}">{menu}</a> uses (the list\'s variables: {has}): its contacts would '
                    "hear blanks there. Import those columns into the list, or change the menu."
                ),
                list_url=reverse("admin:campaigns_contactlist_change", args=[gap.contact_list.pk]),
                list=gap.contact_list.name,
                menu_url=reverse("admin:campaigns_menutemplate_change", args=[campaign.menu_id]),
                menu=campaign.menu.name,
                missing=_missing(gap.missing),
                has=_names(gap.has),
            ),
        )


def what_callees_hear(request: HttpRequest, menu: MenuTemplate) -> dict:
    """The menu page's rendering of its prompts (needs *view TTS template*): for a sample contact
    when the user may see contacts (numbers masked unless they may see them), else as written."""
    if not request.user.has_perm("campaigns.view_ttstemplate"):
        return {}
    contact = tts.sample_contact(menu) if request.user.has_perm("campaigns.view_contact") else None
    rendered = tts.prompts(menu, contact)
    for prompt in rendered:
        prompt.heard = shown_text(request.user, prompt.heard)
        prompt.problems = [shown_text(request.user, problem) for problem in prompt.problems]
    return {
        "prompts": rendered,
        "sample": contact,
        "sample_phone": shown_phone(request.user, contact.phone) if contact else "",
        "sample_list": contact.contact_list if contact else None,
    }


@admin.register(TtsTemplate)
class TtsTemplateAdmin(AuditedAdmin):
    list_display = ["code", "status", "shared", "account", "text", "updated_at"]
    list_filter = ["status", "shared", "account"]
    search_fields = ["code", "text"]


@admin.register(MenuTemplate)
class MenuTemplateAdmin(AuditedAdmin):
    list_display = ["name", "start_code", "play_times", "timeout_ms", "updated_at"]
    search_fields = ["name", "start_code"]
    inlines = [MenuOptionInline]
    change_form_template = "admin/campaigns/menutemplate/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        menu = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **(what_callees_hear(request, menu) if menu else {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_menu_gaps(request, form.instance)
