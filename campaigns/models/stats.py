"""Settled calls counted per hour, caller number and callee region: the stored cube that caller-
number health (campaigns.health) and the best hours to call (results.best_hours) read instead of
scanning the calls. Rows are added to as calls settle (`campaigns.call_stats`), never rewritten."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.callers import CallerNumber
from campaigns.models.campaigns import Campaign


class CallStats(models.Model):
    """Dialled calls that settled, by the UTC hour they were sent, their campaign, caller number,
    the callee's province and carrier, and how local the caller number was."""

    hour = models.DateTimeField(_("hour sent (UTC)"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    caller_number = models.ForeignKey(
        CallerNumber, on_delete=models.CASCADE, related_name="+", verbose_name=_("caller number")
    )
    province = models.CharField(_("province"), max_length=40, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    local = models.CharField(_("local caller number"), max_length=8, blank=True)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    answered = models.PositiveIntegerField(_("answered"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)

    class Meta:
        verbose_name = _("call statistics")
        verbose_name_plural = _("call statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "campaign", "caller_number", "province", "carrier", "local"], name="one_stats_cell"
            ),
        ]
        indexes = [models.Index(fields=["caller_number", "hour"], name="stats_caller_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.caller_number_id} {self.province} {self.carrier}"
