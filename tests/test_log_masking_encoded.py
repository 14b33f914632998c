"""Masking sees through URL encoding: an encoded phone number or a token with an encoded
character is masked like the plain one, and nothing under /receipts/aliyun/ reaches a log."""

from __future__ import annotations

import logging

import pytest

from ivrsite.logging import MaskingFilter, mask

TOKEN = "receipt-token-abcdef"


def masked_line(message: str, *args) -> str:
    entry = logging.LogRecord("django.server", logging.INFO, __file__, 1, message, args, None)
    MaskingFilter().filter(entry)
    return entry.getMessage()


@pytest.mark.parametrize(
    "raw",
    [
        '"GET /admin/campaigns/contact/?q=%2B86%20139%200000%200002 HTTP/1.1" 200 5120',
        '"GET /admin/campaigns/contact/?q=%31%33%39%30%30%30%30%30%30%30%32 HTTP/1.1" 200 5120',
        '"GET /admin/campaigns/contact/?q=139%2D0000%2D0002 HTTP/1.1" 200 5120',
    ],
)
def test_an_encoded_phone_number_is_masked(raw):
    line = masked_line("%s", raw)
    assert "0000 0002" not in line and "13900000002" not in line and "0000-0002" not in line
    assert "139****0002" in line


def test_a_token_with_an_encoded_character_is_masked(settings):
    settings.RECEIPT_TOKEN = TOKEN
    line = masked_line('"POST /receipts/aliyun/receipt%2Dtoken-abcdef/ HTTP/1.1" 200 22')
    assert "abcdef" not in line and "receipt%2Dtoken" not in line
    assert "/receipts/aliyun/[secret]/" in line


def test_any_path_under_the_webhook_is_masked(settings):
    settings.RECEIPT_TOKEN = TOKEN
    assert mask("POST /receipts/aliyun/a-guessed-token/ 404") == "POST /receipts/aliyun/[secret]/ 404"


def test_decoding_does_not_let_a_line_forge_another():
    line = masked_line("Not Found: %s", "/x%0A2026-12-04 ERROR forged")
    assert "\n" not in line


def test_the_webhook_compares_the_decoded_token(client, settings, db):
    """The server decodes the path before routing: an encoded character of the right token is
    the right token (HTTP says so), which is why the logs must decode before masking."""
    settings.RECEIPT_TOKEN = TOKEN
    response = client.post("/receipts/aliyun/receipt%2Dtoken-abcdef/", b"[]", content_type="application/json")
    assert response.status_code == 200
    assert (
        client.post("/receipts/aliyun/receipt%2Etoken-abcdef/", b"[]", content_type="application/json").status_code
        == 404
    )
