"""The audit trail: one row per thing somebody (or the system) did, never changed afterwards.

Rows are written by `audit.record` inside the transaction of the change they describe, so an
event exists exactly when its change committed. PostgreSQL and SQLite refuse UPDATE and DELETE
on the table (triggers, migration 0002) except in the documented retention purge
(`audit.retention.purge_expired`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.events import label
from campaigns.reasons import describe


class AuditEvent(models.Model):
    class ActorKind(models.TextChoices):
        USER = "user", _("staff user")
        API = "api", _("API token")
        CLI = "cli", _("command line")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("when"), db_index=True)
    actor_kind = models.CharField(_("actor kind"), max_length=8, choices=ActorKind.choices)
    actor_name = models.CharField(_("actor"), max_length=150, db_index=True)
    # No foreign-key constraint: deleting a user must neither fail nor rewrite the trail.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    event = models.CharField(_("event"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The campaign the event concerns, if any: the campaign page lists "started by …, paused by …".
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # field -> [before, after]
    reason = models.JSONField(_("reason"), null=True, blank=True)  # campaigns.reasons: code + params
    rows = models.BigIntegerField(_("rows"), null=True, blank=True)  # downloads: how many rows went out

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["campaign_id", "at"], name="audit_campaign"),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.event_label} · {self.actor_name}"

    @property
    def event_label(self) -> str:
        return label(self.event)

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language (campaigns.reasons' shape: code + params, or text)."""
        return describe(self.reason)
