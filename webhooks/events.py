"""The event types an endpoint may subscribe to."""

from django.utils.translation import gettext_lazy as _

CALL_SETTLED = "call.settled"
CAMPAIGN_STATE_CHANGED = "campaign.state_changed"
CONTACT_OPTED_OUT = "contact.opted_out"
IMPORT_FINISHED = "import.finished"
FOLLOWUP_READY = "followup.ready"

EVENT_CHOICES = [
    (CALL_SETTLED, _("a call's outcome is final")),
    (CAMPAIGN_STATE_CHANGED, _("a campaign changed state")),
    (CONTACT_OPTED_OUT, _("a callee opted out")),
    (IMPORT_FINISHED, _("a contact import finished")),
    (FOLLOWUP_READY, _("a follow-up's contacts are copied")),
]
EVENT_TYPES = [code for code, _label in EVENT_CHOICES]
