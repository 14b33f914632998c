"""One dial attempt per row."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.models.callers import CallerNumber
from campaigns.models.campaigns import Campaign
from campaigns.models.contacts import Contact


def with_campaigns(calls: Iterable[Call]) -> list[Call]:
    """The calls, each with its campaign: one instance per campaign, read once (`select_related`
    would parse the campaign's menu snapshot again for every call)."""
    calls = list(calls)
    campaigns = Campaign.objects.in_bulk({call.campaign_id for call in calls})
    for call in calls:
        call.campaign = campaigns[call.campaign_id]
    return calls


class Call(models.Model):
    """One dial attempt of one contact in one campaign."""

    class Local(models.TextChoices):
        CITY = "city", _("same city")
        PROVINCE = "province", _("same province")
        NONE = "none", _("not local")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CLAIMED = "claimed", _("claimed")  # taken by a worker, request not sent yet
        SENDING = "sending", _("sending")  # request may be on the wire
        PLACED = "placed", _("placed")  # Aliyun accepted it; waiting for the receipt
        UNKNOWN = "unknown", _("outcome unknown")
        ANSWERED = "answered", _("answered")
        NO_ANSWER = "no_answer", _("no answer")
        BUSY = "busy", _("busy")
        UNREACHABLE = "unreachable", _("unreachable")
        FAILED = "failed", _("failed")
        INVALID = "invalid", _("invalid number")
        DNC = "dnc", _("do not call")
        CANCELLED = "cancelled", _("cancelled")

    IN_FLIGHT = (Status.CLAIMED, Status.SENDING, Status.PLACED)
    PENDING = (Status.QUEUED, Status.CLAIMED, Status.SENDING, Status.PLACED)
    FINAL = (
        Status.ANSWERED,
        Status.NO_ANSWER,
        Status.BUSY,
        Status.UNREACHABLE,
        Status.FAILED,
        Status.INVALID,
        Status.DNC,
        Status.CANCELLED,
    )
    RETRYABLE_CHOICES = ("no_answer", "busy", "unreachable", "failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="calls", verbose_name=_("campaign"))
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="calls", verbose_name=_("contact"))
    phone = models.CharField(_("phone"), max_length=20)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    is_latest = models.BooleanField(_("latest attempt"), default=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    caller_number = models.ForeignKey(
        CallerNumber, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("caller number")
    )
    out_id = models.CharField(_("OutId"), max_length=15, null=True, blank=True, unique=True)
    call_id = models.CharField(_("CallId"), max_length=64, null=True, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)  # as Aliyun worded it
    # What happened, as a reason code and its parameters (campaigns.reasons), put into words when shown.
    note = models.JSONField(_("note"), null=True, blank=True, editable=False)
    status_code = models.CharField(_("receipt status"), max_length=16, blank=True)
    dtmf = models.CharField(_("keys pressed"), max_length=64, blank=True)
    answer_key = models.CharField(_("answer key"), max_length=1, blank=True)
    answer_label = models.CharField(_("answer"), max_length=200, blank=True)
    # How local its caller number was to the callee ("": not chosen for it, local presence off).
    local = models.CharField(
        _("local caller number"), max_length=8, choices=Local.choices, blank=True, default="", db_default=""
    )
    # The script variant the contact hears (campaigns.experiments): the same on every attempt.
    variant = models.CharField(_("script variant"), max_length=40, blank=True, default="", db_default="")
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # `<RQ worker name>/<random>` inside an RQ worker (`campaigns.dialling.claimers`), else `<random>`.
    claim_token = models.CharField(_("claimed by"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "phone", "attempt"], name="one_attempt_per_number"),
        ]
        indexes = [
            # The claim's whole ORDER BY (due_at, id): calls enrolled together share one due_at,
            # and without the id the database sorts all of them to hand out a batch.
            models.Index(fields=["campaign", "status", "due_at", "id"], name="call_due_order"),
            models.Index(fields=["campaign", "is_latest", "status"], name="call_latest"),
            models.Index(fields=["status", "sent_at"], name="call_status_sent"),
            models.Index(fields=["caller_number", "status"], name="call_caller_status"),
            models.Index(fields=["phone", "sent_at"], name="call_phone_sent"),
        ]

    def __str__(self) -> str:
        # No phone: a call's name shows on pages (titles, links) that users without *view contact* see.
        return _("call %(id)s, attempt %(attempt)s (%(status)s)") % {
            "id": self.pk,
            "attempt": self.attempt,
            "status": self.get_status_display(),
        }

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def note_text(self) -> str:
        """What happened to the call in the active language, with Aliyun's own words if any."""
        return " ".join(part for part in (reasons.describe(self.note), self.error_message) if part)
