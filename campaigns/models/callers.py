"""Caller numbers (Aliyun's display numbers)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import reasons, regions
from campaigns.accounts import VoiceAccount
from campaigns.models.base import FIXED_LINE_DISPLAY_CONCURRENCY, MOBILE_DISPLAY_CONCURRENCY


class CallerNumber(models.Model):
    """A purchased display number (Aliyun's CalledShowNumber)."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    max_concurrent_calls = models.PositiveIntegerField(
        _("max concurrent calls"),
        null=True,
        blank=True,
        help_text=_(
            "Blank: Aliyun's documented figure for a dedicated display number, about 3 concurrent "
            "calls for a mobile number and 15 for a fixed line (help.aliyun.com, Voice Service user "
            "guide, “Create a service instance”). Set it if Aliyun granted this number more."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    account = models.ForeignKey(
        VoiceAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caller_numbers",
        verbose_name=_("Aliyun account"),
        help_text=_("Blank: the default account from the environment (ALIYUN_ACCESS_KEY_ID)."),
    )
    # Where it is (campaigns.regions; derived from the number when left blank): local presence.
    province = models.CharField(
        _("province"), max_length=40, blank=True, help_text=_("Blank: derived from the number.")
    )
    city = models.CharField(_("city"), max_length=40, blank=True, help_text=_("Blank: derived from the number."))
    carrier = models.CharField(_("carrier"), max_length=40, blank=True, help_text=_("Blank: derived from the number."))
    # Health (campaigns.health): flagged when its answer rate drops, rested (not dialled) until then.
    health_flag = models.JSONField(_("health warning"), default=dict, blank=True, editable=False)
    rested_until = models.DateTimeField(_("rested until"), null=True, blank=True)
    inactive_reason = models.JSONField(_("why inactive"), default=dict, blank=True, editable=False)
    # Adaptive: after Aliyun refuses a call for concurrency, fewer calls at once for a while.
    lowered_concurrency = models.PositiveIntegerField(_("lowered to"), null=True, blank=True, editable=False)
    lowered_until = models.DateTimeField(_("lowered until"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("caller number")
        verbose_name_plural = _("caller numbers")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.label})" if self.label else self.number

    def save(self, *args, **kwargs) -> None:
        self.fill_region()
        super().save(*args, **kwargs)

    def fill_region(self) -> None:
        """Province, city and carrier from the number, where left blank."""
        if self.province and self.city and self.carrier:
            return
        from campaigns.contacts.phones import InvalidNumber, normalize

        try:
            found = regions.region_of(normalize(self.number))
        except InvalidNumber:
            return
        self.province = self.province or found.province
        self.city = self.city or found.city
        self.carrier = self.carrier or found.carrier

    @property
    def region(self) -> regions.Region:
        return regions.Region(self.province, self.city, self.carrier)

    @property
    def health_flag_text(self) -> str:
        """Why its answer rate looks wrong (a reason, campaigns.reasons), in the active language."""
        return reasons.describe(self.health_flag)

    def is_rested(self, now: dt.datetime | None = None) -> bool:
        return self.rested_until is not None and self.rested_until > (now or timezone.now())

    @property
    def is_mobile(self) -> bool:
        from campaigns.contacts.phones import is_plain_mobile

        return is_plain_mobile(self.number)

    @property
    def configured_concurrency(self) -> int:
        if self.max_concurrent_calls:
            return self.max_concurrent_calls
        return MOBILE_DISPLAY_CONCURRENCY if self.is_mobile else FIXED_LINE_DISPLAY_CONCURRENCY

    @property
    def inactive_reason_text(self) -> str:
        """Why it was deactivated (a reason, campaigns.reasons), in the active language."""
        return reasons.describe(self.inactive_reason)

    def concurrency(self, now: dt.datetime | None = None) -> int:
        """Calls it may carry at once now: its cap, or less while lowered after a refusal."""
        cap = self.configured_concurrency
        if self.lowered_concurrency and self.lowered_until and self.lowered_until > (now or timezone.now()):
            return min(cap, self.lowered_concurrency)
        return cap
