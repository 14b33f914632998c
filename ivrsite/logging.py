"""Log hygiene: phone numbers masked, secrets never written.

`MaskingFilter` sits on every handler in `settings.LOGGING`, so whatever a module logs
(messages, arguments, tracebacks, request paths) passes through it before it is written:

- mobiles keep their first three and last four digits: ``13800138000`` → ``138****8000``
  (``+86``/``86`` prefixes and ``138-0013-8000`` spacing included);
- landlines keep the area code and the last four digits: ``057112345678`` →
  ``0571****5678``, ``010-12345678`` → ``010-****5678``, ``+86 571 1234 5678`` →
  ``+86 571 ****5678``;
- the values of secret settings (AccessKey secret, receipt token, SECRET_KEY, database
  password) are replaced by ``[secret]`` wherever they appear, and so is any path segment
  under ``/receipts/aliyun/`` (the right token or a guess at it);
- percent-encoded stretches (``?q=%2B86%20139...``, ``receipt%2Dtoken``) are decoded first,
  so an encoded number or token is masked like a plain one.

OutIds (base-36 plus a dash) and CallIds (digits ``^`` digits) are left intact, so a call
can still be followed from dispatch to receipt.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from urllib.parse import unquote

SECRET_SETTINGS = (
    "ALIYUN_ACCESS_KEY_SECRET",
    "RECEIPT_TOKEN",
    "SECRET_KEY",
    "ACCOUNT_SECRETS_KEY",
    "PERSONAL_DATA_HASH_KEY",
)
SECRET_MASK = "[secret]"  # noqa: S105 - what replaces a secret, not one
# Shorter "secrets" (a test's DJANGO_SECRET_KEY=x) would mask half of every line.
MIN_SECRET_LENGTH = 8

# Not glued to other ASCII letters, digits or a decimal point: a number, not part of an id.
_BEFORE = r"(?<![0-9A-Za-z.^])"
_AFTER = r"(?![0-9A-Za-z^])"
MOBILE = re.compile(
    _BEFORE + r"(?P<prefix>(?:\+|00)?86[- ]?)?(?P<head>1[3-9]\d)[- ]?\d{4}[- ]?(?P<tail>\d{4})" + _AFTER
)
# 0 + area code (2-3 digits: 010, 020-029 are two; 0571 is three) + 7-8 digit local number;
# in international form the 0 goes: +86 571 1234 5678.
_LOCAL = r"(?P<sep>[- ]?)\d{3,4}[- ]?(?P<tail>\d{4})"
LANDLINE = re.compile(_BEFORE + r"(?P<prefix>(?:\+|00)?86[- ]?)?(?P<area>0(?:[12]\d|[3-9]\d{2}))" + _LOCAL + _AFTER)
INTERNATIONAL_LANDLINE = re.compile(
    _BEFORE + r"(?P<prefix>(?:\+|00)86[- ]?)(?P<area>(?:[12]\d|[3-9]\d{2}))" + _LOCAL + _AFTER
)


def mask_phones(text: str) -> str:
    """Mask every mainland China mobile and landline number in `text`."""
    text = MOBILE.sub(lambda m: f"{m['prefix'] or ''}{m['head']}****{m['tail']}", text)
    for landline in (LANDLINE, INTERNATIONAL_LANDLINE):
        text = landline.sub(lambda m: f"{m['prefix'] or ''}{m['area']}{m['sep']}****{m['tail']}", text)
    return text


def configured_secrets() -> list[str]:
    """The secret values of the running settings, longest first (so no partial leftovers)."""
    from django.conf import settings

    if not settings.configured:
        return []
    values = [str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS]
    values += str(getattr(settings, "ACCOUNT_SECRETS_KEY", "") or "").split(",")  # each key of a rotation
    values += [str(db.get("PASSWORD") or "") for db in getattr(settings, "DATABASES", {}).values()]
    return sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, SECRET_MASK)
    return text


# A percent-encoded stretch: `?q=%2B86%20139...`, or one encoded character of a token.
ENCODED = re.compile(r"\S*%[0-9A-Fa-f]{2}\S*")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Whatever follows the webhook's prefix is a token, the right one or a guess of it.
WEBHOOK_PATH = re.compile(r"(/receipts/aliyun/)[^/\s?#\"']+")


def decode_urls(text: str) -> str:
    """Percent-encoded stretches decoded, so masking sees what the server saw; a decoded
    control character (%0A) is written back encoded, so a line cannot forge another."""
    if "%" not in text:
        return text
    return ENCODED.sub(lambda m: CONTROL.sub(lambda c: f"%{ord(c[0]):02X}", unquote(m[0])), text)


def mask(text: str, secrets: Iterable[str] | None = None) -> str:
    """URLs decoded, secrets and webhook tokens out, phone numbers masked."""
    text = mask_secrets(decode_urls(text), configured_secrets() if secrets is None else secrets)
    return mask_phones(WEBHOOK_PATH.sub(rf"\1{SECRET_MASK}", text))


class MaskingFilter(logging.Filter):
    """Rewrites a record in place (message, traceback, stack) with numbers and secrets masked.

    Never drops a record, and never lets a masking problem lose the log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            secrets = configured_secrets()
            record.msg = mask(record.getMessage(), secrets)
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if record.exc_text:
                record.exc_text = mask(record.exc_text, secrets)
            if record.stack_info:
                record.stack_info = mask(record.stack_info, secrets)
        except Exception:  # a log line with a number beats no log line
            record.msg = "[log message could not be masked]"
            record.args = None
        return True
