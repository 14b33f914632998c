"""Who may see phone numbers, and how a number looks to everyone else.

Every page, changelist column, chart table, export, cross-tab and command that shows a
number goes through here: `shown_phone(user, number)` for a number field, `shown_text(user,
text)` for free text that may quote one (variables, raw receipts, rejected rows, audit
changes), `shown_data(user, data)` for a JSON answer. Admin display methods get no request:
they call `shown(number)` / `shown_in_text(text)`, which read what `ViewerMiddleware` noted
for the request being served (outside a request — commands, workers — nothing is masked).
Without the permission `campaigns.see_full_phone_numbers` a mobile reads
``138****8000`` and a landline ``0571****5678`` (the same masking as the log lines,
`ivrsite.logging`), and per-person exports are refused (`campaigns.permissions`).

`hashed_phone(number)` is the keyed hash (HMAC-SHA256 under PERSONAL_DATA_HASH_KEY) that
replaces a number once it is erased or past its campaign's retention: the same number always
hashes alike, so counts, segments and the callee guard's history still add up, and the hash
fits the 20 characters of a phone column. It starts with `#`, which no real number does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse

from ivrsite.logging import mask_phones

SEE_NUMBERS = "campaigns.see_full_phone_numbers"
HASH_PREFIX = "#"
HASH_LENGTH = 20  # the phone columns' max_length


def may_see_numbers(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(SEE_NUMBERS))


def mask_phone(number: str) -> str:
    """``13812348000`` → ``138****8000``; ``057112345678`` → ``0571****5678``; a hash stays."""
    if not number or is_hashed(number):
        return number or ""
    masked = mask_phones(number)
    if masked != number:
        return masked
    # Not a mainland number the log masking knows: keep the ends only.
    return number[:3] + "****" + number[-4:] if len(number) > 7 else "****"


# What the log masking leaves (a number glued to letters, a foreign one): any run of 8+ digits.
LONG_DIGITS = re.compile(r"(?<!\d)(\d{3})\d{1,}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Free text with every mainland number, and every other long run of digits, masked."""
    return LONG_DIGITS.sub(r"\1****\2", mask_phones(text)) if text else text


def shown_phone(user, number: str) -> str:
    return number if may_see_numbers(user) else mask_phone(number)


def shown_text(user, text: str) -> str:
    return text if may_see_numbers(user) else mask_text(text)


def shown_data(user, data: Any) -> Any:
    """A JSON-able value with every string in it masked for a user who may not see numbers."""
    return data if may_see_numbers(user) else _masked_strings(data)


def _masked_strings(data: Any) -> Any:
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, dict):
        return {_masked_strings(key): _masked_strings(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_masked_strings(item) for item in data]
    return data


# The request being served, for display code that gets none; whether its user may see numbers is
# worked out on first use (most requests, the receipt webhook's among them, never ask).
_request: ContextVar[HttpRequest | None] = ContextVar("privacy_request", default=None)


def _viewer_sees_numbers() -> bool:
    request = _request.get()
    if request is None:
        return True  # a command or a worker: no viewer to hide numbers from
    if not hasattr(request, "_sees_numbers"):
        request._sees_numbers = may_see_numbers(getattr(request, "user", None))
    return request._sees_numbers


def shown(number: str) -> str:
    """`number` as the user of the request being served may see it."""
    return number if _viewer_sees_numbers() else mask_phone(number)


def shown_in_text(text: str) -> str:
    return text if _viewer_sees_numbers() else mask_text(text)


class ViewerMiddleware:
    """Notes the request being served, for the admin's display methods (`shown`, `shown_in_text`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def hash_key() -> bytes:
    key = (
        settings.PERSONAL_DATA_HASH_KEY
        or hmac.new(settings.SECRET_KEY.encode(), b"ivrsite.personal-data-hash", hashlib.sha256).hexdigest()
    )
    return key.encode()


def hashed_phone(number: str, key: bytes | None = None) -> str:
    """The keyed hash that stands for `number` (already normalised) once it is removed."""
    if is_hashed(number):
        return number
    digest = hmac.new(key or hash_key(), number.encode(), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest[: HASH_LENGTH - len(HASH_PREFIX)]


def is_hashed(number: str) -> bool:
    return number.startswith(HASH_PREFIX)
