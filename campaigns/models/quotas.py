"""Quotas of completes and sample released in batches (the rules are in `campaigns.quotas`)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaigns import Campaign


class Quota(models.Model):
    """Completes wanted from one cell: the contacts whose `variable` is `value`, or (no variable)
    the whole campaign. Once a cell has them, its calls not made yet are withdrawn."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("campaign"))
    variable = models.CharField(
        _("variable"), max_length=100, blank=True, help_text=_("A contact variable, e.g. city. Blank: the campaign.")
    )
    value = models.CharField(_("value"), max_length=200, blank=True, help_text=_("E.g. 杭州."))
    target = models.PositiveIntegerField(_("completes wanted"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [models.UniqueConstraint(fields=["campaign", "variable", "value"], name="one_quota_per_cell")]

    def __str__(self) -> str:
        cell = f"{self.variable}={self.value}" if self.variable else str(_("whole campaign"))
        return f"{cell}: {self.target}"


class SampleRelease(models.Model):
    """Dial a campaign's contacts a batch at a time: `percent` of them, the next batch only when
    the rates so far say the quotas need it (or the batch is worked out)."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="sample_release", verbose_name=_("campaign")
    )
    percent = models.PositiveSmallIntegerField(
        _("batch size (%)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    batches = models.PositiveIntegerField(_("batches released"), default=0, editable=False)

    class Meta:
        verbose_name = _("sample release")
        verbose_name_plural = _("sample releases")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.percent}%"
