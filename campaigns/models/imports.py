"""Contact-file imports run in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.models.contacts import ContactList


class ImportJob(models.Model):
    """One upload of a contact file, run in the request or by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("importing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="imports", verbose_name=_("list")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_bytes = models.BigIntegerField(_("size"), default=0)
    processed_bytes = models.BigIntegerField(_("bytes read"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # {"row": n, "reason": a reason (campaigns.reasons)}; older versions stored the reason worded.
    rejected = models.JSONField(_("rejected rows"), default=list, blank=True)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.JSONField(_("error"), default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.contact_list}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(100 * self.processed_bytes / self.total_bytes))

    @property
    def error_text(self) -> str:
        """Why it failed (a reason, campaigns.reasons), in the active language ("" if it did not)."""
        return reasons.describe(self.error)

    def rejected_rows(self, limit: int | None = None) -> list[dict]:
        """The first `limit` rejected rows, their reasons in the active language (text an older
        version stored already worded is shown as it is)."""
        return [{"row": r["row"], "reason": reasons.describe(r["reason"])} for r in self.rejected[:limit]]
