"""Script experiments: a campaign's menu variants and their shares (rules in `campaigns.experiments`)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaigns import Campaign
from campaigns.models.menus import MenuTemplate


class ScriptVariant(models.Model):
    """One wording (order, voice) of a campaign's question, played to a share of its contacts."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="script_variants", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=40, help_text=_("Short, e.g. A or 先问满意度."))
    menu = models.ForeignKey(MenuTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("menu"))
    weight = models.PositiveIntegerField(
        _("share"), default=1, validators=[MinValueValidator(1)], help_text=_("Relative: 1 and 1 split evenly.")
    )

    class Meta:
        verbose_name = _("script variant")
        verbose_name_plural = _("script variants")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="variant_name_unique_per_campaign")]

    def __str__(self) -> str:
        return f"{self.name} ({self.menu}, {self.weight})"
