"""Contact-file imports run in the background."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.models.contacts import ContactList
from campaigns.models.tasks import BackgroundTask


class ImportJob(BackgroundTask):
    """One upload of a contact file, run in the request or by a worker."""

    RUNNING_TEXT = _("importing")
    PROGRESS_FIELDS = ("processed_bytes", "total_bytes")

    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="imports", verbose_name=_("list")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    total_bytes = models.BigIntegerField(_("size"), default=0)
    processed_bytes = models.BigIntegerField(_("bytes read"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # {"row": n, "reason": a reason (campaigns.reasons), "cells": the row as read}; older versions
    # stored the reason worded, and no cells.
    rejected = models.JSONField(_("rejected rows"), default=list, blank=True)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    header = models.JSONField(_("header"), default=list, blank=True, editable=False)  # the file's, for `rejected`

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.contact_list}"

    def rejected_rows(self, limit: int | None = None) -> list[dict]:
        """The first `limit` rejected rows, their reasons in the active language (text an older
        version stored already worded is shown as it is)."""
        return [{"row": r["row"], "reason": reasons.describe(r["reason"])} for r in self.rejected[:limit]]
