"""API tokens: created in the admin and shown once, stored as a hash, acting as their user,
revocable, expiring; a wrong or revoked token gets 401 in the API's error shape."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from audit.models import AuditEvent
from tests.api_helpers import client_for


def test_the_admin_shows_a_new_token_once_and_keeps_only_its_hash(staff_client, staff_user):
    response = staff_client.post("/admin/api/apitoken/add/", {"user": staff_user.pk, "name": "CRM sync"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"] if "ivr_" in str(m)]
    assert len(shown) == 1
    value = shown[0].split(": ")[-1].strip()
    token = ApiToken.objects.get()
    assert value.startswith(f"ivr_{token.prefix}_")
    secret = value.split("_", 2)[2]
    assert secret not in token.hashed_secret and token.matches(secret)
    assert AuditEvent.objects.filter(event="api_token.created", actor_name="staff").exists()
    # The change page never shows it again.
    page = staff_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {value}")
    assert client.get("/api/v1/lists/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_or_expired_or_wrong_token_is_refused(staff_user):
    client, token = client_for(staff_user)
    assert client.get("/api/v1/lists/").status_code == 200
    token.revoke()
    response = client.get("/api/v1/lists/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert set(response.json()["error"]) == {"code", "message", "details"}

    client, token = client_for(staff_user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/lists/").status_code == 401

    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Bearer ivr_{token.prefix}_not-the-secret")
    assert wrong.get("/api/v1/lists/").status_code == 401


def test_without_a_token_the_api_answers_401():
    response = APIClient().get("/api/v1/lists/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()
