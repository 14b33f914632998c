"""A test call: one dial of a menu to a staff member's own number, outside every campaign.

Why its own table and not a flagged `Call`: a Call belongs to a campaign's contacts, counts,
retries, quotas, result cube, exports and webhooks, and every one of those queries would
need to leave test calls out (forgetting one filter would put a test into a customer's
results). A TestCall cannot leak into them. It shares what matters with real calls: the
caller number and its account, the account's pacing, the do-not-call list and the callee
frequency guard (`campaigns.dialling.test_calls`), and its receipts are routed to it by
OutId (`receipts.ingest`), whose prefix no campaign call's OutId has.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.models.callers import CallerNumber
from campaigns.models.campaigns import Campaign
from campaigns.models.contacts import Contact
from campaigns.models.menus import MenuTemplate

# Campaign calls' OutIds are lowercase base 36 and "-"; a test call's start with this.
OUT_ID_PREFIX = "T_"


class TestCall(models.Model):
    __test__ = False  # not a pytest test class

    class Status(models.TextChoices):
        REFUSED = "refused", _("not dialled")  # do-not-call, frequency guard, no caller number, no slot
        SENDING = "sending", _("sending")
        PLACED = "placed", _("placed")
        UNKNOWN = "unknown", _("outcome unknown")
        FAILED = "failed", _("failed")  # Aliyun refused the request
        ANSWERED = "answered", _("answered")
        NOT_ANSWERED = "not_answered", _("not answered")

    menu = models.ForeignKey(MenuTemplate, on_delete=models.CASCADE, related_name="test_calls", verbose_name=_("menu"))
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="test_calls",
        verbose_name=_("campaign"),
    )
    caller_number = models.ForeignKey(
        CallerNumber, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("caller number")
    )
    phone = models.CharField(_("phone"), max_length=32)
    # Whose variables filled the menu (not copied: no second copy of a contact's data to erase).
    sample_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("sample contact")
    )
    out_id = models.CharField(_("OutId"), max_length=15, unique=True, null=True, blank=True)
    call_id = models.CharField(_("CallId"), max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SENDING)
    code = models.CharField(_("code"), max_length=64, blank=True)
    note = models.JSONField(_("note"), default=dict, blank=True)  # a reason (campaigns.reasons)
    status_code = models.CharField(_("receipt status"), max_length=16, blank=True)
    dtmf = models.CharField(_("keys pressed"), max_length=64, blank=True)
    answer_label = models.CharField(_("answer"), max_length=200, blank=True)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    receipts = models.PositiveIntegerField(_("receipts"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("placed by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("test call")
        verbose_name_plural = _("test calls")
        ordering = ["-created_at"]
        permissions = [("place_test_call", _("Can place a test call to one's own number"))]

    def __str__(self) -> str:
        return f"{self.menu} → {self.out_id or '-'}"

    @property
    def note_text(self) -> str:
        return reasons.describe(self.note) if self.note else ""

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.REFUSED, self.Status.FAILED, self.Status.ANSWERED, self.Status.NOT_ANSWERED)
