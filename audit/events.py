"""Every kind of audit event, with the words staff read for it. The code is what is stored."""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    # campaigns
    "campaign.created": _("campaign created"),
    "campaign.changed": _("campaign changed"),
    "campaign.deleted": _("campaign deleted"),
    "campaign.started": _("campaign started"),
    "campaign.paused": _("campaign paused"),
    "campaign.resumed": _("campaign resumed"),
    "campaign.cancelled": _("campaign cancelled"),
    "campaign.completed": _("campaign completed"),
    "followup.created": _("follow-up created"),
    "survey.loaded": _("survey loaded from a file"),
    "survey.designed": _("survey saved in the designer"),
    "survey.changed": _("draft survey changed in the designer"),
    "survey.started": _("survey started"),
    # calls
    "calls.settled_by_operator": _("unknown calls settled by an operator"),
    "test_call.placed": _("test call placed to one's own number"),
    # do-not-call
    "donotcall.added": _("number put on the do-not-call list"),
    "donotcall.removed": _("number taken off the do-not-call list"),
    "donotcall.expired": _("do-not-call entry expired: the number may be called again"),
    # caller numbers and accounts
    "caller_number.deactivated": _("caller number deactivated"),
    "caller_number.concurrency_lowered": _("caller number's concurrency lowered for a while"),
    "caller_number.flagged": _("caller number flagged: its answer rate dropped"),
    "caller_number.rested": _("caller number rested: its answer rate dropped"),
    "caller_number.recovered": _("caller number's answer rate recovered"),
    "account.added": _("Aliyun account added"),
    "account.changed": _("Aliyun account changed"),
    # lists, imports and menus
    "import.started": _("contact import started"),
    "contacts.imported": _("contacts imported"),
    "menu.loaded": _("menu loaded from a file"),
    "contacts.upserted": _("contacts upserted through the API"),
    # the API and its webhooks
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "webhook.added": _("webhook endpoint added"),
    "webhook.changed": _("webhook endpoint changed"),
    "webhook.secret_rotated": _("webhook endpoint's signing secret replaced"),
    "webhook.deleted": _("webhook endpoint deleted"),
    "webhook.replayed": _("webhook messages sent again"),
    # everything the admin's forms change
    "object.added": _("added in the admin"),
    "object.changed": _("changed in the admin"),
    "object.deleted": _("deleted in the admin"),
    "object.imported": _("imported in the admin"),
    # downloads of personal data
    "download.results": _("results downloaded"),
    "download.segment": _("segment downloaded"),
    "download.chain": _("follow-up chain downloaded"),
    "download.list": _("contact list downloaded"),
    "download.crosstab": _("cross-tab downloaded"),
    "download.rejected_rows": _("rejected import rows downloaded"),
    "download.audit": _("audit trail downloaded"),
    "download.reference": _("reference table downloaded (caller numbers, no-call days, do-not-call list)"),
    "audit.purged": _("audit events past their retention removed"),
    # personal data (campaigns.person, campaigns.retention)
    "person.erased": _("a person's data erased"),
    "personal_data.removed": _("personal data past its retention removed"),
    "download.person": _("a person's data downloaded (subject-access copy)"),
}


def label(code: str) -> str:
    return str(EVENTS.get(code, code))
