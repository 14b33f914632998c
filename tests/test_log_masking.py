"""Logs never show a whole phone number nor a secret, yet a call stays traceable by OutId."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from ivrsite.logging import MaskingFilter, mask, mask_phones
from tests.test_i18n import ROOT


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800138000", "138****8000"),
        ("phone=13800138000", "phone=138****8000"),
        ("客户13912345678已接听", "客户139****5678已接听"),
        ("+8613800138000", "+86138****8000"),
        ("0086 138 0013 8000", "0086 138****8000"),
        ("8613800138000", "86138****8000"),
        ("138-0013-8000", "138****8000"),
        ("(13800138000, 19912345678)", "(138****8000, 199****5678)"),
        ("057112345678", "0571****5678"),
        ("010-12345678", "010-****5678"),
        ("02012345678", "020****5678"),
        ("0755 1234567", "0755 ****4567"),
        ("+86 571 1234 5678", "+86 571 ****5678"),
        ("0086-10-12345678", "0086-10-****5678"),
        ("010-1234-5678", "010-****5678"),
    ],
)
def test_phone_numbers_are_masked(raw, masked):
    assert mask_phones(raw) == masked


@pytest.mark.parametrize(
    "kept",
    [
        "call placed out_id=2s-k3j9x0a1b2c3 call_id=116012854210^102814279012",
        "call_id=138001380001^1",  # CallIds are not phone numbers
        "took 0.13800138000 s",
        "campaign 12 started: 30000 calls enrolled",
        "2026-11-25 16:53:12,123",
        "batch 123456789012345",
        "out_id=13800138000x",  # glued to a letter: an id, not a number
    ],
)
def test_ids_and_figures_are_left_alone(kept):
    assert mask_phones(kept) == kept


def test_secrets_are_replaced_and_short_values_ignored(settings):
    settings.ALIYUN_ACCESS_KEY_SECRET = "AKsecret-VALUE-0123456789"
    settings.RECEIPT_TOKEN = "receipt-token-abcdef"
    settings.SECRET_KEY = "x"  # too short to be masked safely: left alone
    line = "POST /receipts/aliyun/receipt-token-abcdef/ signed with AKsecret-VALUE-0123456789 x"
    assert mask(line) == "POST /receipts/aliyun/[secret]/ signed with [secret] x"


def record(msg, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("campaigns.dialling.dispatch", logging.INFO, __file__, 1, msg, args, exc_info)


def test_filter_masks_arguments_and_tracebacks(settings):
    settings.RECEIPT_TOKEN = "receipt-token-abcdef"
    try:
        raise ValueError("duplicate key (phone)=(13800138000) via receipt-token-abcdef")
    except ValueError:
        entry = record("import failed for %s in list %d", "13912345678", 7, exc_info=sys.exc_info())
    assert MaskingFilter().filter(entry) is True
    formatted = logging.Formatter("%(message)s").format(entry)
    assert "import failed for 139****5678 in list 7" in formatted
    assert "ValueError: duplicate key (phone)=(138****8000) via [secret]" in formatted
    assert "13800138000" not in formatted and "13912345678" not in formatted
    assert "receipt-token-abcdef" not in formatted


def test_filter_keeps_a_line_it_cannot_format():
    entry = record("%d calls", "not a number")
    assert MaskingFilter().filter(entry) is True
    assert entry.getMessage() == "[log message could not be masked]"


def test_filter_is_idempotent():
    entry = record("call to %s", "13800138000")
    MaskingFilter().filter(entry)
    MaskingFilter().filter(entry)
    assert entry.getMessage() == "call to 138****8000"


@pytest.mark.parametrize("logger", ["campaigns.dialling.dispatch", "django.request", "gunicorn.access", "rq.worker"])
def test_settings_wire_the_filter_into_every_handler(logger):
    """Through the real LOGGING config, in a fresh process (pytest's log capture stays out of it)."""
    code = (
        "import logging, django; django.setup(); "
        f"logging.getLogger({logger!r}).warning('dialled %s for /receipts/aliyun/%s/', '13800138000', "
        "'env-receipt-token-42')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ivrsite.settings",
        "RECEIPT_TOKEN": "env-receipt-token-42",
        "LOG_LEVEL": "INFO",
        "RQ_LOG_LEVEL": "INFO",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "dialled 138****8000 for /receipts/aliyun/[secret]/" in output
    assert "13800138000" not in output and "env-receipt-token-42" not in output
