"""Background work recorded one way: what a contact import and a follow-up build share."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import reasons


class BackgroundTask(models.Model):
    """A piece of work run in the request or by an RQ worker (`campaigns.background`), its row
    the truth about how far it got: status, progress (`PROGRESS_FIELDS`: done, total), why it
    failed (a reason, worded when shown), who asked for it and when it started and ended."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    # What "running" means for this kind of work, as staff read it.
    RUNNING_TEXT = _("running")
    # The subclass's fields counting the work done and the work to do.
    PROGRESS_FIELDS: tuple[str, str]

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.JSONField(_("error"), default=dict, blank=True, editable=False)  # a reason
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def status_text(self) -> str:
        return str(self.RUNNING_TEXT) if self.status == self.Status.RUNNING else self.get_status_display()

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        done, total = (getattr(self, name) for name in self.PROGRESS_FIELDS)
        return min(99, int(100 * done / total)) if total else 0

    @property
    def error_text(self) -> str:
        """Why it failed (a reason, campaigns.reasons), in the active language ("" if it did not)."""
        return reasons.describe(self.error)

    def mark_running(self) -> None:
        """Started (again, after a failure: the error is cleared)."""
        self._mark(status=self.Status.RUNNING, started_at=timezone.now(), error={})

    def mark_done(self, **fields) -> None:
        self._mark(status=self.Status.DONE, finished_at=timezone.now(), **fields)

    def mark_failed(self, error: reasons.Reason, **fields) -> None:
        self._mark(status=self.Status.FAILED, error=error, finished_at=timezone.now(), **fields)

    def _mark(self, **fields) -> None:
        type(self).objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)
