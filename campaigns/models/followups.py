"""Follow-up campaigns built from a segment in the background."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.models.campaigns import Campaign
from campaigns.models.contacts import ContactList


class FollowupBuild(models.Model):
    """Copying a segment's contacts into a follow-up's new list, in the request or by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("copying contacts")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="followup_build", verbose_name=_("campaign")
    )
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="+", verbose_name=_("list"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("contacts in the segments"), default=0)
    scanned = models.PositiveIntegerField(_("contacts looked at"), default=0)
    copied = models.PositiveIntegerField(_("contacts copied"), default=0)
    error = models.JSONField(_("error"), default=dict, blank=True, editable=False)  # a reason
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up build")
        verbose_name_plural = _("follow-up builds")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.get_status_display()}"

    @property
    def error_text(self) -> str:
        """Why the copy failed (a reason, campaigns.reasons), in the active language ("" if it did not)."""
        return reasons.describe(self.error)

    @property
    def left_out(self) -> int:
        """Segment contacts not carried over (do-not-call numbers), once done."""
        return max(0, self.total - self.copied) if self.status == self.Status.DONE else 0

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.scanned / self.total)) if self.total else 0
