"""Constants and validators the models share."""

from __future__ import annotations

import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MENU_KEYS = [str(d) for d in range(10)] + ["*", "#"]
PLACEHOLDER_RE = re.compile(r"\$\{([^}]*)\}")
# Fields of a contact that TTS params may name besides its own variables.
BUILTIN_CONTACT_FIELDS = ("name", "phone")
# The menu option action that puts the caller's number on the do-not-call list.
OPT_OUT = "opt_out"


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value}) from exc


# Concurrent calls Aliyun allows a dedicated display number (help.aliyun.com, Voice
# Service user guide, "create a service instance"): about 3 for a mobile number, 15 for a
# fixed line. See shared/aliyun-ivrcall.md.
MOBILE_DISPLAY_CONCURRENCY = 3
FIXED_LINE_DISPLAY_CONCURRENCY = 15
