"""The webhook takes pushes only under the secret token, compared in constant time."""

import json

import pytest

from campaigns.models import Call
from receipts.models import Receipt, RejectedPush
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def test_right_token_is_accepted_with_aliyuns_expected_answer(post_receipts, placed_calls):
    response = post_receipts([record(0)])
    assert response.status_code == 200
    assert response.content.decode() == '{"code":0,"msg":"接收成功"}'
    assert json.loads(response.content) == {"code": 0, "msg": "接收成功"}
    assert Receipt.objects.count() == 1


def test_wrong_token_is_404_and_stores_nothing(client, receipt_url, placed_calls):
    body = json.dumps([record(0)])
    for url in (receipt_url.replace("s3cret", "s3creT"), "/receipts/aliyun/x/", receipt_url[:-2] + "/"):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 404, url
    assert Receipt.objects.count() == 0
    assert RejectedPush.objects.count() == 0
    assert Call.objects.get(out_id="o0").status == Call.Status.PLACED


def test_empty_token_setting_disables_the_endpoint(client, settings, placed_calls):
    settings.RECEIPT_TOKEN = ""
    response = client.post("/receipts/aliyun/anything/", json.dumps([record(0)]), content_type="application/json")
    assert response.status_code == 404
    assert Receipt.objects.count() == 0


def test_token_is_compared_with_compare_digest(post_receipts, monkeypatch, placed_calls):
    import hmac

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("receipts.views.hmac.compare_digest", spy)
    assert post_receipts([]).status_code == 200
    assert len(calls) == 1


def test_no_csrf_token_needed(receipt_url, placed_calls):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(receipt_url, json.dumps([record(0)]), content_type="application/json")
    assert response.status_code == 200


def test_get_is_refused_without_storing(client, receipt_url):
    assert client.get(receipt_url).status_code == 405
    assert Receipt.objects.count() == 0
