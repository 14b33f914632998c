"""Every API error has one shape, {"error": {"code", "message", "details"}}, worded in the
request's language; the rate limit per token answers 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.api_helpers import client_for


@pytest.fixture(autouse=True)
def fresh_rate_counts(redis_conn):
    caches["api"].clear()


def test_validation_errors_have_the_one_shape_in_the_readers_language(staff_user):
    client, _token = client_for(staff_user, HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post("/api/v1/lists/", {}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert body["message"] == "请求无效。"
    assert "name" in body["details"]
    assert body["details"]["name"] == ["该字段是必填项。"]


def test_not_found_and_conflict(staff_user, campaign):
    client, _token = client_for(staff_user)
    missing = client.get("/api/v1/campaigns/999999/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    refused = client.post(f"/api/v1/campaigns/{campaign.pk}/resume/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"
    assert "needs it to be paused" in refused.json()["error"]["message"]


def test_the_rate_limit_is_per_token_with_retry_after(staff_user, monkeypatch):
    from api.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "rate", "3/min", raising=False)  # API_RATE_LIMIT, for this test
    first, _t = client_for(staff_user)
    other, _t = client_for(staff_user)
    assert [first.get("/api/v1/lists/").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get("/api/v1/lists/")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["error"]["code"] == "throttled"
    assert other.get("/api/v1/lists/").status_code == 200  # another token has its own count
