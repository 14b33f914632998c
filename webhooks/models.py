"""Outbound webhooks (Standard Webhooks): endpoints that subscribe to events, and the outbox.

A `WebhookMessage` is one event for one endpoint, written by `webhooks.outbox.emit` in the
transaction of the change it reports, so a message exists exactly when its change committed.
Workers deliver it (`webhooks.delivery`) until the endpoint answers 2xx; every try is a
`WebhookAttempt` (the delivery log). The message id is the `webhook-id` the receiver
deduplicates on: the same on every retry and replay.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from webhooks.events import EVENT_CHOICES


def new_secret() -> str:
    """`whsec_` + base64 of 24 random bytes: the form the standardwebhooks libraries take."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


class WebhookEndpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    events = models.JSONField(_("events"), default=list, help_text=_("The event types it receives."))
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("gave up")

    msg_id = models.CharField(_("webhook-id"), max_length=40, default=new_message_id)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="messages", verbose_name=_("endpoint")
    )
    event_type = models.CharField(_("event"), max_length=40, choices=EVENT_CHOICES)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    created_at = models.DateTimeField(_("created"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        constraints = [models.UniqueConstraint(fields=["endpoint", "msg_id"], name="webhook_message_once_per_endpoint")]
        indexes = [
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_message_due",
            ),
            # The hourly retention (`webhooks.retention`) finds old delivered and given-up messages
            # through these, not by scanning a week of outbox (8.6 M messages a day at 100 calls/s).
            models.Index(
                fields=["delivered_at"], condition=models.Q(status="delivered"), name="webhook_message_delivered"
            ),
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="failed"), name="webhook_message_given_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class WebhookAttempt(models.Model):
    """One try to deliver a message: the delivery log."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="log", verbose_name=_("message"))
    at = models.DateTimeField(_("when"))
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("time (ms)"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
