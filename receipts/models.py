"""Receipts Aliyun pushes to us, kept as received, and pushes we could not read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Receipt(models.Model):
    """One element of a receipt push: a key press (VoiceCallReport) or a call record (VoiceReport).

    `raw` is the element exactly as Aliyun sent it; the other fields are parsed from it.
    `dedupe_key` makes a replayed element count once.
    """

    class Kind(models.TextChoices):
        KEY_PRESS = "key_press", _("key press")
        CALL_RECORD = "call_record", _("call record")
        UNKNOWN = "unknown", _("unknown kind")
        MALFORMED = "malformed", _("malformed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    raw = models.JSONField(_("raw element"))
    problem = models.CharField(_("problem"), max_length=300, blank=True, help_text=_("Why it is malformed."))
    dedupe_key = models.CharField(_("identity"), max_length=255, unique=True)
    matched_call = models.ForeignKey(
        "campaigns.Call",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="receipts",
        verbose_name=_("call"),
    )
    # A test call's receipts (`receipts.test_calls`): not a campaign's call, not unmatched either.
    matched_test_call = models.ForeignKey(
        "campaigns.TestCall",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="receipt_set",
        verbose_name=_("test call"),
    )
    call_id = models.CharField(_("CallId"), max_length=64, blank=True, db_index=True)
    out_id = models.CharField(_("OutId"), max_length=64, blank=True, db_index=True)
    status_code = models.CharField(_("status code"), max_length=16, blank=True)
    status_msg = models.CharField(_("status message"), max_length=200, blank=True)
    dtmf = models.CharField(_("keys pressed"), max_length=64, blank=True)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    status_time = models.DateTimeField(_("event time"), null=True, blank=True)
    start_time = models.DateTimeField(_("answered at"), null=True, blank=True)
    end_time = models.DateTimeField(_("ended at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.call_id or self.out_id or '?'} {self.status_code}"


class RejectedPush(models.Model):
    """A whole push body we could not take (not JSON, wrong shape, too large, or our own failure)."""

    class Reason(models.TextChoices):
        NOT_JSON = "not_json", _("not JSON")
        WRONG_SHAPE = "wrong_shape", _("not an array of objects")
        TOO_LARGE = "too_large", _("too large")
        SERVER_ERROR = "server_error", _("our error (Aliyun will resend)")

    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("As received (undecodable bytes replaced)."))
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    remote_addr = models.CharField(_("from"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("rejected push")
        verbose_name_plural = _("rejected pushes")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.size} B)"


class ResultSnapshot(models.Model):
    """A campaign's result cube (call counts by list, status, key, hour), recomputed from the calls.

    The dashboard reads it instead of scanning a million calls per request: small campaigns
    recompute it in the request when it is a few seconds old, big ones in a worker.
    """

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="result_snapshot", verbose_name=_("campaign")
    )
    cube = models.JSONField(_("counts"), default=list)
    # Counts by attempt, caller number, day and disposition (results.dispositions), for the rates.
    rates_cube = models.JSONField(_("counts for the rates"), default=list)
    computed_at = models.DateTimeField(_("computed"))
    compute_ms = models.PositiveIntegerField(_("compute time (ms)"), default=0)
    refresh_requested_at = models.DateTimeField(_("refresh requested"), null=True, blank=True)
    # Mean time a call held its caller number, from a sample of ended calls (None: too few ended yet).
    holding_seconds = models.FloatField(_("mean holding time (s)"), null=True, blank=True)
    # Calls not dialled yet whose contacts have their own hours, by hours (`contact_hours.as_json`).
    own_hours = models.JSONField(_("calls waiting for their contacts' hours"), default=list, blank=True)
    # Whole minutes billed so far per account id ("" the environment's), from the receipts'
    # durations (`campaigns.costs.billed_minutes`): the spend on the campaign's page.
    billed_minutes = models.JSONField(_("billed minutes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("result snapshot")
        verbose_name_plural = _("result snapshots")

    def __str__(self) -> str:
        return f"{self.campaign} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"


class PendingPush(models.Model):
    """A receipt push the webhook accepted (answered 200) and the settler has not taken yet.

    Committed before the answer, deleted in the transaction that stores and settles its
    receipts: a crash on either side loses nothing and settles nothing twice.
    """

    body = models.TextField(_("elements"), help_text=_("The pushed JSON array, as accepted."))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt push waiting to be settled")
        verbose_name_plural = _("receipt pushes waiting to be settled")

    def __str__(self) -> str:
        return f"#{self.pk} @ {self.received_at:%Y-%m-%d %H:%M:%S}"


class CrosstabSnapshot(models.Model):
    """Answers of a campaign broken down by one contact variable, computed by a worker.

    `table` holds, for the top values of the variable (and "other"), counts of the latest
    attempts by status and answer key; see `results.crosstab`.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="crosstabs", verbose_name=_("campaign")
    )
    variable = models.CharField(_("variable"), max_length=200)
    table = models.JSONField(_("counts"), default=dict)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    compute_ms = models.PositiveIntegerField(_("compute time (ms)"), default=0)
    refresh_requested_at = models.DateTimeField(_("refresh requested"), null=True, blank=True)

    class Meta:
        verbose_name = _("cross-tab snapshot")
        verbose_name_plural = _("cross-tab snapshots")
        constraints = [models.UniqueConstraint(fields=["campaign", "variable"], name="crosstab_per_variable")]

    def __str__(self) -> str:
        return f"{self.campaign} × {self.variable}"
