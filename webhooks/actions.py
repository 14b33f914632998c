"""Changing webhook endpoints: every change through here, each in one transaction with its
audit event (the admin's forms are audited by `audit.admin_base` instead). The signing secret
is never in an event: a rotation records only that it changed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.actors import Actor
from audit.record import HIDDEN, diff, record
from webhooks.models import WebhookEndpoint, new_secret

CHANGEABLE = ("url", "description", "events", "active")


@transaction.atomic
def do_add_endpoint(*, actor: Actor, owner: Any, **fields: Any) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(owner=owner, **fields)
    record(actor, "webhook.added", endpoint)
    return endpoint


@transaction.atomic
def do_change_endpoint(endpoint: WebhookEndpoint, *, actor: Actor, **changes: Any) -> WebhookEndpoint:
    """Change any of `CHANGEABLE` (holds the endpoint's row lock). Turning an endpoint back on
    clears why it was disabled and its failing streak, as the admin does."""
    assert set(changes) <= set(CHANGEABLE), changes
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = {name: getattr(endpoint, name) for name in CHANGEABLE}
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes.get("active") and not before["active"]:
        endpoint.disabled_reason, endpoint.failing_since = "", None
    endpoint.save()
    record(actor, "webhook.changed", endpoint, changes=diff(before, {n: getattr(endpoint, n) for n in CHANGEABLE}))
    return endpoint


@transaction.atomic
def do_rotate_secret(endpoint: WebhookEndpoint, *, actor: Actor) -> WebhookEndpoint:
    """A new signing secret: messages signed from now on use it (retries of old ones too)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    record(actor, "webhook.secret_rotated", endpoint, changes={"secret": [HIDDEN, HIDDEN]})
    return endpoint


@transaction.atomic
def do_delete_endpoint(endpoint: WebhookEndpoint, *, actor: Actor) -> None:
    """Delete the endpoint with its messages and their delivery log (nothing more is sent to it)."""
    record(actor, "webhook.deleted", endpoint)
    endpoint.delete()
