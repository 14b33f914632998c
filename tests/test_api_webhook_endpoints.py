"""Webhook endpoints through the API: shown, changed (PATCH) and deleted (DELETE) with the
model permissions of the token's user, each change audited as that user; the signing secret
is in the answer that creates an endpoint and the one that rotates it, nowhere else."""

from __future__ import annotations

from audit.models import AuditEvent
from tests.api_helpers import client_for, user_with
from webhooks.models import WebhookEndpoint, WebhookMessage


def add(client) -> dict:
    created = client.post(
        "/api/v1/webhooks/", {"url": "https://crm.example.com/hook", "events": ["call.settled"]}, format="json"
    )
    assert created.status_code == 201, created.content
    return created.json()


def test_change_rotate_and_delete_audited_and_the_secret_shown_only_twice(staff_user):
    client, _token = client_for(staff_user)
    created = add(client)
    pk, secret = created["id"], created["secret"]
    assert secret.startswith("whsec_")

    shown = client.get(f"/api/v1/webhooks/{pk}/").json()
    assert "secret" not in shown and shown["url"] == "https://crm.example.com/hook"
    assert all("secret" not in e for e in client.get("/api/v1/webhooks/").json())

    changed = client.patch(
        f"/api/v1/webhooks/{pk}/",
        {"events": ["call.settled", "contact.opted_out"], "description": "CRM"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["call.settled", "contact.opted_out"] and "secret" not in changed.json()
    assert WebhookEndpoint.objects.get(pk=pk).description == "CRM"

    rotated = client.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != secret
    assert WebhookEndpoint.objects.get(pk=pk).secret == new_secret

    WebhookMessage.objects.create(
        endpoint_id=pk, event_type="call.settled", payload={}, next_attempt_at=created["created_at"],
        created_at=created["created_at"],
    )  # fmt: skip
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=pk).exists() and not WebhookMessage.objects.exists()
    assert client.get(f"/api/v1/webhooks/{pk}/").json()["error"]["code"] == "not_found"

    events = list(AuditEvent.objects.filter(object_type="webhooks.webhookendpoint").order_by("pk"))
    assert [e.event for e in events] == [
        "webhook.added",
        "webhook.changed",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    assert {(e.actor_kind, e.actor_user_id) for e in events} == {("api", staff_user.pk)}
    assert events[1].changes["events"] == [["call.settled"], ["call.settled", "contact.opted_out"]]
    assert secret not in str([e.changes for e in events]) and new_secret not in str([e.changes for e in events])


def test_turning_a_disabled_endpoint_back_on_clears_its_reason(staff_user):
    client, _token = client_for(staff_user)
    pk = add(client)["id"]
    WebhookEndpoint.objects.filter(pk=pk).update(active=False, disabled_reason="Disabled on 2026-12-01: …")
    body = client.patch(f"/api/v1/webhooks/{pk}/", {"active": True}, format="json").json()
    assert body["active"] is True and body["disabled_reason"] == ""


def test_each_method_needs_its_permission_and_bad_input_is_invalid(django_user_model, staff_user):
    pk = add(client_for(staff_user)[0])["id"]
    viewer = user_with(django_user_model, "viewer", "webhooks.view_webhookendpoint")
    client, _token = client_for(viewer, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.get(f"/api/v1/webhooks/{pk}/").status_code == 200
    refused = client.patch(f"/api/v1/webhooks/{pk}/", {"description": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 403
    assert client.post(f"/api/v1/webhooks/{pk}/rotate-secret/").status_code == 403

    editor = user_with(django_user_model, "editor", "webhooks.change_webhookendpoint")
    client, _token = client_for(editor)
    bad = client.patch(f"/api/v1/webhooks/{pk}/", {"events": ["call.dialled"], "url": "not a url"}, format="json")
    assert bad.status_code == 400
    assert {"events", "url"} <= set(bad.json()["error"]["details"])
    assert WebhookEndpoint.objects.get(pk=pk).events == ["call.settled"]
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 403
