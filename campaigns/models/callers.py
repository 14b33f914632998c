"""Caller numbers (Aliyun's display numbers)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
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
