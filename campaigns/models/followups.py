"""Follow-up campaigns built from a segment in the background."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaigns import Campaign
from campaigns.models.contacts import ContactList
from campaigns.models.tasks import BackgroundTask


class FollowupBuild(BackgroundTask):
    """Copying a segment's contacts into a follow-up's new list, in the request or by a worker."""

    RUNNING_TEXT = _("copying contacts")
    PROGRESS_FIELDS = ("scanned", "total")

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="followup_build", verbose_name=_("campaign")
    )
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="+", verbose_name=_("list"))
    total = models.PositiveIntegerField(_("contacts in the segments"), default=0)
    scanned = models.PositiveIntegerField(_("contacts looked at"), default=0)
    copied = models.PositiveIntegerField(_("contacts copied"), default=0)

    class Meta:
        verbose_name = _("follow-up build")
        verbose_name_plural = _("follow-up builds")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.status_text}"

    @property
    def left_out(self) -> int:
        """Segment contacts not carried over (do-not-call numbers), once done."""
        return max(0, self.total - self.copied) if self.status == self.Status.DONE else 0
